using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.Linking;

/// <summary>Reading a linker script for the parsers beside it.</summary>
internal static partial class LinkerScriptFile
{
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.LinkerScriptUnreadable, path,
                $"cannot read the linker script: {e.Message}. Set VmlinuxLinkerScript to the preprocessed script (the kernel's arch/<arch>/kernel/vmlinux.lds).", inner: e);
        }
    }

    // Comments become spaces of the same length so match positions stay meaningful.
    public static string WithoutComments(string script) =>
        Comment().Replace(script, m => new string(' ', m.Length));

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();
}

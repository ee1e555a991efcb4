using System.Security.Cryptography;
using System.Text;
using Kbuild.Diagnostics;

namespace Kbuild.Kernel;

/// <summary>
/// A script of the kernel tree whose step this SDK models itself (the table of scripts/kallsyms, the filter of
/// scripts/mksysmap, the link of scripts/link-vmlinux.sh …), and the digests of the versions of it the SDK was checked
/// against. A tree whose script has another digest is refused: a stable update may have changed what the step does.
/// The digest is over the code alone — comments, blank lines and trailing blanks removed — so a fixed typo in a
/// comment is still recognised, a changed line of code is not.
/// </summary>
/// <param name="Path">Relative to the kernel source tree.</param>
/// <param name="Step">What the SDK reproduces of it, for messages.</param>
public sealed record KnownScript(string Path, string Step, IReadOnlyList<string> Digests)
{
    /// <summary>Throws <see cref="ErrorCodes.KernelScriptUnknown"/> unless the tree's script is one of <see cref="Digests"/>.</summary>
    public void EnsureRecognised(string sourceDir, KernelSeries series)
    {
        var file = System.IO.Path.Combine(sourceDir, Path);
        string digest;
        try { digest = DigestOf(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.KernelScriptUnknown, file,
                $"cannot read {Path} of the kernel source tree ({e.Message}), so {Step} cannot be checked against Linux {series.Name}: " +
                "point KernelSourceDir (or the build directory's 'source' link) at the kernel's source tree.", inner: e);
        }
        if (!Digests.Contains(digest))
            throw new KbuildException(ErrorCodes.KernelScriptUnknown, file,
                $"{Path} is not a version this SDK knows for Linux {series.Name} (digest {digest}; known: {string.Join(", ", Digests)}): " +
                $"it may change {Step}, which the SDK does itself, so the result could differ from the kernel's own. Link this tree with " +
                "its own make (make vmlinux), or add this script's version to the series descriptor (src/Kbuild.Tasks/Kernel/Series) " +
                "once the tests show the SDK's result equals make's.");
    }

    /// <summary>The first 16 hex digits of the SHA-256 of the script's code (<see cref="Normalize"/>).</summary>
    public static string DigestOf(string file) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(File.ReadAllText(file), file.EndsWith(".c", StringComparison.Ordinal)))))[..16];

    /// <summary>The lines of code: C comments (outside string and character literals) or '#' comment lines removed,
    /// trailing blanks trimmed, blank lines dropped.</summary>
    public static string Normalize(string text, bool isC)
    {
        if (isC) text = WithoutCComments(text);
        var lines = text.Split('\n').Select(l => l.TrimEnd())
            .Where(l => l.Length > 0 && (isC || !l.TrimStart().StartsWith('#')));
        return string.Join('\n', lines) + "\n";
    }

    private static string WithoutCComments(string text)
    {
        var code = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '\'')
            {
                var end = i + 1;
                while (end < text.Length && text[end] != c && text[end] != '\n') end += text[end] == '\\' ? 2 : 1;
                end = Math.Min(end, text.Length - 1);
                code.Append(text, i, end - i + 1);
                i = end;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 1;
                code.Append(' ');
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                var end = text.IndexOf('\n', i);
                i = (end < 0 ? text.Length : end) - 1;
            }
            else code.Append(c);
        }
        return code.ToString();
    }
}

using Kbuild.IO;
using System.Diagnostics;
using Kbuild.Diagnostics;

namespace Kbuild.Linking;

/// <summary>Assembles a kallsyms .S with the kernel's compiler driver (<c>$(CC) $(KBUILD_AFLAGS) -c</c>).</summary>
public static class KallsymsObjectAssembler
{
    /// <param name="compiler">The compiler command, possibly with leading words (e.g. "ccache gcc").</param>
    public static void Assemble(string compiler, string? flags, string source, string output)
    {
        var command = LinkerCommand.SplitFlags(compiler);
        if (command.Count == 0)
            throw new KbuildException(ErrorCodes.KallsymsAssemblyFailed, source, "Cc is empty; set it to the kernel's C compiler (gcc or clang).");
        AtomicOutput.Write(output, temp =>
        {
            var psi = new ProcessStartInfo(command[0])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in command.Skip(1).Concat(LinkerCommand.SplitFlags(flags)).Concat(["-c", "-o", temp, source]))
                psi.ArgumentList.Add(arg);
            string errors;
            int exitCode;
            try
            {
                using var process = Process.Start(psi)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                errors = process.StandardError.ReadToEnd();
                process.WaitForExit();
                _ = stdout.Result;
                exitCode = process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new KbuildException(ErrorCodes.KallsymsAssemblyFailed, source,
                    $"cannot run '{command[0]}': {e.Message}. Set Cc to the kernel's C compiler (on PATH or a full path).", inner: e);
            }
            if (exitCode != 0)
                throw new KbuildException(ErrorCodes.KallsymsAssemblyFailed, source,
                    $"'{string.Join(' ', psi.ArgumentList.Prepend(command[0]))}' exited with code {exitCode}: {errors.Trim()}. " +
                    "Check Cc and KallsymsAFlags (e.g. -m32 for a 32-bit kernel).");
        });
    }
}

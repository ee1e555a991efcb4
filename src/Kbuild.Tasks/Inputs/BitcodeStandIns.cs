using System.Security.Cryptography;
using System.Text;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.IO;
using Kbuild.Kernel;

namespace Kbuild.Inputs;

/// <summary>
/// Native stand-ins for LLVM bitcode link inputs, so the prediction can read them: with CONFIG_LTO_CLANG the
/// final link of vmlinux takes the native vmlinux.o plus two bitcode objects (.vmlinux.export.o and
/// init/version-timestamp.o), which ld.lld compiles as part of that link. Each is compiled the way the kernel
/// turns its bitcode into vmlinux.o (scripts/Makefile.vmlinux_o: <c>$(LD) $(KBUILD_LDFLAGS) -r</c>); the link itself
/// still takes the bitcode, so vmlinux is what the kernel's link makes.
/// </summary>
public static class BitcodeStandIns
{
    /// <summary>
    /// The inputs with every bitcode object replaced by its native stand-in in <paramref name="workDir"/> (ELF
    /// objects and archives as they are). Bitcode needs ld.lld as <paramref name="linker"/>. A stand-in made from the
    /// same bytes by the same command is kept (its key file beside it, written last): a relink compiles none again.
    /// </summary>
    public static IReadOnlyList<string> Substitute(IReadOnlyList<string> inputs, string? linker, string? flags, string workDir,
        ToolProcess? tools = null)
    {
        var result = new List<string>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (!IsBitcodeFile(input)) { result.Add(input); continue; }
            if (linker is not { Length: > 0 } || !LldFlags.IsLld(linker))
                throw new KbuildException(ErrorCodes.LlvmBitcodeInput, input,
                    $"is LLVM bitcode (compiled for link-time optimization), which only ld.lld links, but Ld is '{linker}': " +
                    "set Ld to the kernel's ld.lld (kernel-tree mode takes it from the kernel's make), or build without LTO.");
            Directory.CreateDirectory(workDir);
            var output = Path.Combine(workDir, $"{i}-{Path.GetFileName(input)}");
            var (kept, _) = LldFlags.ForLld(ShellWords.CommandLine(flags));
            var command = ShellWords.CommandLine(linker);
            var keyFile = output + ".key";
            var key = KeyOf(input, [.. command, .. kept]);
            if (key != null && File.Exists(output) && ReadKey(keyFile) == key) { result.Add(output); continue; }
            AtomicOutput.DeleteIfExists(keyFile);
            AtomicOutput.Write(output, temp =>
            {
                var args = command.Skip(1).Concat(kept).Concat(["-r", "-o", temp, input]).ToList();
                var r = (tools ?? ToolProcess.Quiet).Run(command[0], args);
                if (r.ExitCode != 0)
                    throw new KbuildException(ErrorCodes.BitcodeStandInFailed, input,
                        $"compiling this LLVM bitcode object for the kallsyms prediction ('{string.Join(' ', args.Prepend(command[0]))}') " +
                        $"failed with exit code {r.ExitCode}: {r.Tail()}. Check Ld and LdFlags (the kernel's LD and KBUILD_LDFLAGS).");
            });
            if (key != null) AtomicOutput.WriteAllText(keyFile, key);
            result.Add(output);
        }
        return result;
    }

    /// <summary>SHA-256 of the bitcode and the command that compiles it; null when the input cannot be read (the link names that).</summary>
    private static string? KeyOf(string input, IEnumerable<string> command)
    {
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(RegularFile.ReadAllBytes(input));
            hash.AppendData(Encoding.UTF8.GetBytes("\n" + string.Join('\0', command)));
            return Convert.ToHexString(hash.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadKey(string keyFile)
    {
        try { return RegularFile.ReadAllText(keyFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Whether a file starts like LLVM bitcode; false for anything unreadable (the ELF reader names that).</summary>
    public static bool IsBitcodeFile(string path) => ElfImage.IsLlvmBitcode(RegularFile.Start(path, 4));
}

using Kbuild.IO;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// The tools the kernel's make will run for a build, chosen as the top Makefile chooses them from the make
/// arguments and the environment (a command-line variable wins, as in make): <c>LLVM=1</c> / <c>LLVM=-16</c> /
/// <c>LLVM=/dir/</c> select clang, ld.lld and the llvm- tools; otherwise <c>CROSS_COMPILE</c> prefixes gcc and
/// binutils; <c>CC=</c>, <c>LD=</c>, <c>NM=</c>, <c>OBJCOPY=</c> override one tool; <c>PAHOLE</c> is needed with
/// CONFIG_DEBUG_INFO_BTF. Checked before make runs, so a missing tool is one clear error naming the Debian
/// package, not a make failure half-way through the build.
/// </summary>
public static partial class KernelToolchain
{
    /// <summary>One tool: the make variable that names it, the command, and the Debian package that installs it.</summary>
    public sealed record Tool(string Variable, string Command, string? Package);

    /// <summary>The tools make will run: CC, LD, AR, NM, OBJCOPY (and PAHOLE with BTF).</summary>
    public static IReadOnlyList<Tool> Required(KernelConfig config, IReadOnlyList<string> makeArguments,
        IReadOnlyDictionary<string, string?> environment)
    {
        string Variable(string name) => MakeVariable(name, makeArguments, environment);

        var llvm = Variable("LLVM");
        var cross = Variable("CROSS_COMPILE");
        var prefix = llvm.EndsWith('/') ? llvm : "";
        var suffix = llvm.StartsWith('-') ? llvm : "";
        var defaults = llvm.Length > 0
            ? new[] { ("CC", "clang"), ("LD", "ld.lld"), ("AR", "llvm-ar"), ("NM", "llvm-nm"), ("OBJCOPY", "llvm-objcopy") }
                .Select(t => (t.Item1, prefix + t.Item2 + suffix))
            : new[] { ("CC", "gcc"), ("LD", "ld"), ("AR", "ar"), ("NM", "nm"), ("OBJCOPY", "objcopy") }
                .Select(t => (t.Item1, cross + t.Item2));
        var tools = defaults.ToList();
        if (config.IsEnabled("DEBUG_INFO_BTF")) tools.Add(("PAHOLE", "pahole"));

        return tools.Select(t =>
        {
            // CC="ccache gcc": the command is the first word.
            var command = Variable(t.Item1) is { Length: > 0 } own ? own : t.Item2;
            command = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? t.Item2;
            return new Tool(t.Item1, command, DebianPackage(command));
        }).ToList();
    }

    /// <summary>A make variable as make sees it: the last <c>NAME=</c> argument wins over the environment.</summary>
    private static string MakeVariable(string name, IReadOnlyList<string> makeArguments, IReadOnlyDictionary<string, string?> environment) =>
        makeArguments.LastOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal)) is { } arg
            ? arg[(name.Length + 1)..]
            : environment.GetValueOrDefault(name) ?? "";

    /// <summary>
    /// The architecture make will build (<c>ARCH=</c>, else the host's, as the top Makefile's SUBARCH) must be the
    /// configuration's: make would otherwise rewrite .config for the other architecture. And a kernel for another
    /// architecture than the host's needs a cross toolchain: without CROSS_COMPILE, LLVM or CC, make would run the
    /// host's gcc. Checked for the architectures kernel-tree mode links (x86, arm64); others are refused later.
    /// </summary>
    public static void EnsureTargetArchitecture(KernelConfig config, IReadOnlyList<string> makeArguments, string buildDir,
        IReadOnlyDictionary<string, string?> environment, Architecture host)
    {
        var configured = config.IsEnabled("ARM64") ? "arm64" : config.IsEnabled("X86") || config.IsEnabled("X86_64") ? "x86" : null;
        if (configured == null) return;
        var hostArch = host switch { Architecture.Arm64 => "arm64", Architecture.X64 or Architecture.X86 => "x86", _ => host.ToString().ToLowerInvariant() };
        var arch = MakeVariable("ARCH", makeArguments, environment);
        // The top Makefile's SRCARCH: x86_64 and i386 are x86.
        var building = arch.Length == 0 ? hostArch : arch is "x86_64" or "i386" ? "x86" : arch;
        if (building != configured)
            throw new KbuildException(ErrorCodes.KernelArchitectureMismatch, config.Path,
                $"'{buildDir}' is configured for {configured} ({(configured == "arm64" ? "CONFIG_ARM64=y" : "CONFIG_X86=y")} in {config.Path}), " +
                $"but the kernel's make would build ARCH={(arch.Length == 0 ? building + " (this machine's, no ARCH given)" : arch)} and rewrite " +
                $".config for it: add ARCH={configured} to KernelMakeArguments (as for every make of this build directory).");
        if (building == hostArch || MakeVariable("LLVM", makeArguments, environment).Length > 0
            || MakeVariable("CROSS_COMPILE", makeArguments, environment).Length > 0 || MakeVariable("CC", makeArguments, environment).Length > 0)
            return;
        var triple = building == "arm64" ? "aarch64-linux-gnu" : "x86-64-linux-gnu";
        throw new KbuildException(ErrorCodes.KernelCrossCompilerMissing, buildDir,
            $"'{buildDir}' is built with ARCH={arch} on this {hostArch} machine, which needs a cross toolchain, but neither CROSS_COMPILE nor LLVM is set, so the kernel's " +
            $"make would run this machine's gcc: add CROSS_COMPILE={triple.Replace("x86-64", "x86_64")}- (Debian packages gcc-{triple} and " +
            $"binutils-{triple}) or LLVM=1 (clang, lld, llvm; LLVM=-16 for clang-16, lld-16, llvm-16) to KernelMakeArguments." +
            (building == "arm64" ? " In Debian bookworm gcc-aarch64-linux-gnu cannot be installed with gcc-multilib (gcc-12-multilib, which -m32 needs, can); LLVM needs neither." : ""));
    }

    /// <summary>Throws <see cref="ErrorCodes.KernelToolMissing"/> for the first tool of <see cref="Required"/> that
    /// is not installed, and <see cref="ErrorCodes.PaholeTooOld"/> for a pahole older than the kernel's v1.16.</summary>
    /// <param name="environment">What make will inherit (LLVM, CROSS_COMPILE, CC… and PATH); default: this process's.</param>
    public static void EnsureAvailable(KernelConfig config, IReadOnlyList<string> makeArguments, string buildDir,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        environment ??= System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        EnsureTargetArchitecture(config, makeArguments, buildDir, environment, RuntimeInformation.OSArchitecture);
        var path = environment.GetValueOrDefault("PATH") ?? "";
        foreach (var tool in Required(config, makeArguments, environment))
        {
            var resolved = Resolve(tool.Command, path);
            if (resolved == null)
                throw new KbuildException(ErrorCodes.KernelToolMissing, buildDir,
                    $"the kernel's build in '{buildDir}' needs {tool.Variable}={tool.Command}, which is not installed " +
                    $"({(tool.Command.Contains('/') ? "no such executable file" : "not found on PATH")}): " +
                    (tool.Package != null ? $"install the Debian package {tool.Package} (apt-get install {tool.Package})" : $"install {tool.Command}") +
                    (tool.Variable == "PAHOLE" ? ", which CONFIG_DEBUG_INFO_BTF needs, or turn CONFIG_DEBUG_INFO_BTF off." : ", or change the make arguments (KernelMakeArguments)."));
            if (tool.Variable == "PAHOLE") EnsurePaholeVersion(resolved, buildDir);
        }
    }

    /// <summary>The Debian (bookworm) package that installs a tool, or null when the name says nothing.</summary>
    public static string? DebianPackage(string command)
    {
        if (command.Contains('/')) return null;
        var m = LlvmTool().Match(command);
        if (m.Success) return (m.Groups["tool"].Value switch { "clang" or "clang++" => "clang", "ld.lld" => "lld", _ => "llvm" }) + m.Groups["suffix"].Value;
        m = GnuTool().Match(command);
        if (!m.Success) return command == "pahole" ? "dwarves" : null;
        var triple = m.Groups["triple"].Value.TrimEnd('-').Replace('_', '-');
        // A versioned gcc is its version's package: aarch64-linux-gnu-gcc-12 is in gcc-12-aarch64-linux-gnu.
        var package = m.Groups["tool"].Value is "gcc" or "cc" ? "gcc" + m.Groups["version"].Value : "binutils";
        return triple.Length == 0 ? package : $"{package}-{triple}";
    }

    private static void EnsurePaholeVersion(string pahole, string buildDir)
    {
        var r = ToolProcess.Quiet.Run(pahole, ["--version"], buildDir);
        var m = Regex.Match(r.Output, @"v(\d+)\.(\d+)");
        if (r.ExitCode == 0 && m.Success && int.Parse(m.Groups[1].Value) * 100 + int.Parse(m.Groups[2].Value) >= 116) return;
        throw new KbuildException(ErrorCodes.PaholeTooOld, buildDir,
            $"BTF: pahole version {r.Output.Trim()} ({pahole}) is too old, need at least v1.16 (the kernel's own check): " +
            "install a newer pahole (Debian package dwarves), or turn CONFIG_DEBUG_INFO_BTF off.");
    }

    private static string? Resolve(string command, string path)
    {
        if (command.Contains('/')) return IsExecutable(command) ? command : null;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, command)).FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    [GeneratedRegex(@"^(?<tool>clang\+\+|clang|ld\.lld|llvm-[\w-]+?)(?<suffix>-\d+)?$")]
    private static partial Regex LlvmTool();

    [GeneratedRegex(@"^(?<triple>(?:[\w.]+-)*?)(?:(?<tool>gcc)(?<version>-\d+)|(?<tool>gcc|cc|ld|ld\.bfd|ar|nm|objcopy|objdump|as))$")]
    private static partial Regex GnuTool();
}

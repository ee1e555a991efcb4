using Kbuild.IO;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using Kbuild.Kernel;

namespace Kbuild.KernelTree;

/// <summary>
/// The tools the kernel's make will run for a build, chosen as the top Makefile chooses them from the make
/// arguments and the environment (a command-line variable wins, as in make): <c>LLVM=1</c> / <c>LLVM=-16</c> /
/// <c>LLVM=/dir/</c> select clang, ld.lld and the llvm- tools; otherwise <c>CROSS_COMPILE</c> prefixes gcc and
/// binutils; <c>CC=</c>, <c>LD=</c>, <c>NM=</c>, <c>OBJCOPY=</c> override one tool; <c>PAHOLE</c> is needed with
/// CONFIG_DEBUG_INFO_BTF. Checked before make runs, so a missing tool is one clear error naming the Debian
/// package, not a make failure half-way through the build; and so is one older than the tree asks for (its
/// scripts/min-tool-version.sh for LLVM, its Kconfig for pahole).
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
            command = ShellWords.CommandLine(command).FirstOrDefault() ?? t.Item2;
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
    /// is not installed, <see cref="ErrorCodes.KernelToolTooOld"/> for a clang older than the tree's minimum LLVM, and
    /// <see cref="ErrorCodes.PaholeTooOld"/> for a pahole older than the tree's minimum for BTF.</summary>
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
            if (tool.Variable == "CC" && LlvmTool().Match(Path.GetFileName(tool.Command)) is { Success: true } clang && clang.Groups["tool"].Value == "clang")
                EnsureLlvmVersion(config, resolved, buildDir);
        }
    }

    /// <summary>Clang against the tree's own minimum (<c>scripts/min-tool-version.sh llvm</c>: 7.x asks for 17.0.1), which
    /// its make would check only after writing the configuration.</summary>
    private static void EnsureLlvmVersion(KernelConfig config, string clang, string buildDir)
    {
        var script = Path.Combine(KernelSourceTree.Of(buildDir), "scripts", "min-tool-version.sh");
        if (!File.Exists(script)) return;
        var srcarch = config.IsEnabled("ARM64") ? "arm64" : config.IsEnabled("X86") || config.IsEnabled("X86_64") ? "x86" : "";
        var minimum = ToolProcess.Quiet.Run("sh", [script, "llvm"], buildDir, new Dictionary<string, string> { ["SRCARCH"] = srcarch });
        var version = ToolProcess.Quiet.Run(clang, ["--version"], buildDir);
        if (minimum.ExitCode != 0 || !Version.TryParse(minimum.Output.Trim(), out var needed)
            || ClangVersion().Match(version.Output) is not { Success: true } m || !Version.TryParse(m.Groups[1].Value, out var have) || have >= needed)
            return;
        throw new KbuildException(ErrorCodes.KernelToolTooOld, buildDir,
            $"this kernel needs LLVM {needed} or later (its scripts/min-tool-version.sh), and {clang} is clang {have}: install a newer " +
            "LLVM (clang, lld, llvm) and pass its LLVM= in KernelMakeArguments, or build with GCC (no LLVM=).");
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
        var minimum = PaholeMinimum(KernelSourceTree.Of(buildDir));
        var r = ToolProcess.Quiet.Run(pahole, ["--version"], buildDir);
        var m = Regex.Match(r.Output, @"v(\d+)\.(\d+)");
        if (r.ExitCode == 0 && m.Success && int.Parse(m.Groups[1].Value) * 100 + int.Parse(m.Groups[2].Value) >= minimum) return;
        throw new KbuildException(ErrorCodes.PaholeTooOld, buildDir,
            $"BTF: pahole version {r.Output.Trim()} ({pahole}) is too old, this kernel needs at least v1.{minimum % 100} (its own check): " +
            "install a newer pahole (Debian package dwarves), or turn CONFIG_DEBUG_INFO_BTF off.");
    }

    /// <summary>The oldest pahole (as 1.NN → 1NN) a tree's BTF takes: its lib/Kconfig.debug's
    /// <c>depends on PAHOLE_VERSION &gt;= N</c> under DEBUG_INFO_BTF (6.12: 116, 7.x: 122), else link-vmlinux.sh's own check
    /// (6.1: <c>-lt "116"</c>).</summary>
    public static int PaholeMinimum(string sourceDir)
    {
        var kconfig = Path.Combine(sourceDir, "lib", "Kconfig.debug");
        if (File.Exists(kconfig) && PaholeDependency().Match(File.ReadAllText(kconfig)) is { Success: true } d) return int.Parse(d.Groups[1].Value);
        var linkScript = Path.Combine(sourceDir, "scripts", "link-vmlinux.sh");
        if (File.Exists(linkScript) && PaholeCheck().Match(File.ReadAllText(linkScript)) is { Success: true } c) return int.Parse(c.Groups[1].Value);
        return 116;
    }

    private static string? Resolve(string command, string path)
    {
        if (command.Contains('/')) return IsExecutable(command) ? command : null;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, command)).FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    [GeneratedRegex(@"^config DEBUG_INFO_BTF\n(?:[ \t][^\n]*\n)*?\tdepends on PAHOLE_VERSION >= (\d+)\n", RegexOptions.Multiline)]
    private static partial Regex PaholeDependency();

    [GeneratedRegex(@"pahole_ver\}"" -lt ""(\d+)""")]
    private static partial Regex PaholeCheck();

    [GeneratedRegex(@"clang version (\d+\.\d+\.\d+)")]
    private static partial Regex ClangVersion();

    [GeneratedRegex(@"^(?<tool>clang\+\+|clang|ld\.lld|llvm-[\w-]+?)(?<suffix>-\d+)?$")]
    private static partial Regex LlvmTool();

    [GeneratedRegex(@"^(?<triple>(?:[\w.]+-)*?)(?:(?<tool>gcc)(?<version>-\d+)|(?<tool>gcc|cc|ld|ld\.bfd|ar|nm|objcopy|objdump|as))$")]
    private static partial Regex GnuTool();
}

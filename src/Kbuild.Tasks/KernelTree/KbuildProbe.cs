using Kbuild.IO;
using System.Text;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// Asks a kernel build directory how it links vmlinux, by running the kernel's own
/// <c>make vmlinux</c> with <c>cmd_link_vmlinux</c> overridden on the command line. A command-line
/// variable wins over scripts/Makefile.vmlinux's definition, and its recipe runs where link-vmlinux.sh
/// would: after every input of the link is built, in the build directory, with kbuild's exported
/// variables. The capture command records its arguments — <c>$&lt;</c>, <c>$(LD)</c>,
/// <c>$(KBUILD_LDFLAGS)</c>, <c>$(LDFLAGS_vmlinux)</c>, <c>$(ARCH_POSTLINK)</c>, <c>$(MAKE)</c>,
/// <c>$(newer-prereqs)</c> — and the environment, and writes the .vmlinux.d make's if_changed_dep reads.
/// vmlinux itself is not touched, and .vmlinux.cmd is put back afterwards, so probing never makes a later
/// plain make relink. When make would have linked (<see cref="KbuildValues.MakeWouldRelink"/>), the probe
/// then builds init/version-timestamp.o as link-vmlinux.sh does first; otherwise it leaves it alone, so
/// the link inputs keep their timestamps and an up-to-date vmlinux stays up to date.
/// </summary>
public static class KbuildProbe
{
    private const string CaptureScript = """
        # kbuild-sdk capture of cmd_link_vmlinux: OUT LINK-SCRIPT LD KBUILD_LDFLAGS LDFLAGS_vmlinux ARCH_POSTLINK MAKE NEWER-PREREQS
        set -e
        out=$1; shift
        { printf '%s\0' "$#" "$@"; env -0; } > "$out.tmp"
        mv "$out.tmp" "$out"
        echo "vmlinux: $1" > .vmlinux.d
        """;

    /// <summary>
    /// Builds everything vmlinux is linked from (the kernel's make, up to but not including the link)
    /// and returns the link settings. <paramref name="makeArguments"/> go to make as given (e.g.
    /// <c>LLVM=1</c>, <c>CC=clang</c>): pass the same ones as for the kernel's other make runs. The values
    /// are also written to <paramref name="saveTo"/> when given, for <see cref="Load"/>.
    /// </summary>
    public static KbuildValues Capture(string buildDir, IEnumerable<string>? makeArguments = null, int jobs = 0, string? saveTo = null,
        ToolProcess? tools = null)
    {
        tools ??= ToolProcess.Quiet;
        buildDir = Path.GetFullPath(buildDir);
        EnsureMakeAccepts(buildDir);
        var config = KernelConfig.Load(buildDir);
        var version = KernelRelease.Read(buildDir).EnsureSupported(buildDir);
        if (!File.Exists(Path.Combine(buildDir, "Makefile")))
            throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, buildDir,
                $"'{buildDir}' has no Makefile: set KernelBuildDir to the kernel's O= build directory (or the source tree for in-tree builds).");
        var arguments = makeArguments?.ToList() ?? [];
        // Before make writes anything: the tools its build needs, then whether we link this kernel as it would.
        KernelToolchain.EnsureAvailable(config, arguments, buildDir);
        KernelSupport.EnsureLinkable(config, version.Version, buildDir);

        var work = Directory.CreateTempSubdirectory("kbuild-probe-");
        var savedCmdFile = Path.Combine(buildDir, ".vmlinux.cmd");
        var savedCmd = File.Exists(savedCmdFile) ? File.ReadAllBytes(savedCmdFile) : null;
        try
        {
            var script = Path.Combine(work.FullName, "capture.sh");
            File.WriteAllText(script, CaptureScript.ReplaceLineEndings("\n") + "\n");
            var capture = Path.Combine(work.FullName, "kbuild-values");
            var args = new List<string> { "-C", buildDir, $"-j{(jobs > 0 ? jobs : System.Environment.ProcessorCount)}" };
            args.AddRange(arguments);
            args.Add($"cmd_link_vmlinux=sh {Quote(script)} {Quote(capture)} \"$<\" \"$(LD)\" \"$(KBUILD_LDFLAGS)\" \"$(LDFLAGS_vmlinux)\" \"$(ARCH_POSTLINK)\" \"$(MAKE)\" \"$(newer-prereqs)\"");
            args.Add("vmlinux");
            var make = tools.Run("make", args, buildDir);
            if (make.ExitCode != 0)
                throw new KbuildException(ErrorCodes.KernelMakeFailed, buildDir,
                    $"the kernel's make failed in '{buildDir}' (exit code {make.ExitCode}) before the vmlinux link: " +
                    $"fix the error below (run 'make -C {buildDir} vmlinux' to see all of it).\n{make.Tail()}");
            if (!File.Exists(capture))
                throw new KbuildException(ErrorCodes.KbuildValuesNotCaptured, buildDir,
                    $"the kernel's make in '{buildDir}' succeeded but never ran cmd_link_vmlinux (scripts/Makefile.vmlinux), " +
                    $"so kernel {version} is not linked the way this SDK supports.");
            var captured = File.ReadAllBytes(capture);
            // make regenerates auto.conf when .config changed: judge the configuration it built.
            config = KernelConfig.Load(buildDir);
            KernelSupport.EnsureLinkable(config, version.Version, buildDir);
            var values = Parse(captured, buildDir, version, config);
            RestoreCommandFile(savedCmdFile, savedCmd);
            if (values.MakeWouldRelink) BuildVersionTimestamp(values, tools);
            if (saveTo != null) AtomicOutput.WriteAllBytes(saveTo, captured);
            return values;
        }
        finally
        {
            RestoreCommandFile(savedCmdFile, savedCmd);
            File.Delete(Path.Combine(buildDir, ".vmlinux.d"));
            work.Delete(recursive: true);
        }
    }

    /// <summary>The values a <see cref="Capture"/> saved, with the build directory's current configuration
    /// (for builds where the kernel's make is run by someone else).</summary>
    public static KbuildValues Load(string buildDir, string savedFile)
    {
        buildDir = Path.GetFullPath(buildDir);
        var config = KernelConfig.Load(buildDir);
        var version = KernelRelease.Read(buildDir).EnsureSupported(buildDir);
        if (!File.Exists(savedFile))
            throw new KbuildException(ErrorCodes.KbuildValuesNotCaptured, buildDir,
                $"no saved link settings for '{buildDir}' ({savedFile} does not exist): build once with KernelRunMake=true " +
                "so the kernel's make is asked for them.");
        KernelSupport.EnsureLinkable(config, version.Version, buildDir);
        return Parse(File.ReadAllBytes(savedFile), buildDir, version, config);
    }

    // link-vmlinux.sh's first step: init/version-timestamp.o with this link's UTS_VERSION (a new build
    // number and date, so only when make would link).
    private static void BuildVersionTimestamp(KbuildValues kbuild, ToolProcess tools)
    {
        var r = tools.Run(kbuild.Make, ["-f", Path.Combine(kbuild.SourceDir, "scripts", "Makefile.build"), "obj=init", "init/version-timestamp.o"],
            kbuild.BuildDir, kbuild.ToolEnvironment);
        if (r.ExitCode != 0)
            throw new KbuildException(ErrorCodes.KernelMakeFailed, kbuild.BuildDir,
                $"building init/version-timestamp.o in '{kbuild.BuildDir}' failed (exit code {r.ExitCode}):\n{r.Tail()}");
    }

    // Kbuild stops with "source/build directory path contains spaces or colons" (the top Makefile); say it first.
    private static void EnsureMakeAccepts(string buildDir)
    {
        var sourceLink = Path.Combine(buildDir, "source");
        var dirs = new[] { buildDir, Directory.Exists(sourceLink) ? new DirectoryInfo(sourceLink).ResolveLinkTarget(true)?.FullName : null };
        foreach (var dir in dirs.OfType<string>().Where(d => d.Contains(' ') || d.Contains(':')))
            throw new KbuildException(ErrorCodes.KernelPathUnsupported, dir,
                $"the kernel's make refuses a source or build directory whose path has a space or a colon ('{dir}'): " +
                "move the kernel tree (or its O= build directory) to a path without them.");
    }

    // argc, the arguments, then env -0 entries; all NUL-terminated.
    internal static KbuildValues Parse(byte[] capture, string buildDir, KernelRelease version, KernelConfig config)
    {
        var fields = Encoding.UTF8.GetString(capture).Split('\0');
        var argc = int.Parse(fields[0]);
        var a = fields.AsSpan(1, argc);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in fields.AsSpan(1 + argc))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) env[entry[..eq]] = entry[(eq + 1)..];
        }
        return new KbuildValues(buildDir, version, config, linkScript: a[0], linker: a[1], kbuildLdflags: a[2],
            ldflagsVmlinux: a[3], archPostlink: a[4], make: a[5], env, KbuildValues.Words(a[6]));
    }

    private static void RestoreCommandFile(string path, byte[]? saved)
    {
        if (saved == null)
        {
            File.Delete(path);
            return;
        }
        AtomicOutput.WriteAllBytes(path, saved);
    }

    // make passes the recipe to /bin/sh: single-quote paths (temp dirs have no quotes, but be exact).
    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

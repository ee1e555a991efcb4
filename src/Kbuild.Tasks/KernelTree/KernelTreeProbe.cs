using Kbuild.Kernel;
using Kbuild.IO;
using System.Text;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// Asks a kernel build directory how it links vmlinux, by running the kernel's own
/// <c>make vmlinux</c> with <c>cmd_link_vmlinux</c> overridden on the command line. A command-line
/// variable wins over scripts/Makefile.vmlinux's definition, and its recipe runs where link-vmlinux.sh
/// would: after every input of the link is built, in the build directory, with kbuild's exported
/// variables. The capture command records its arguments — <c>$@</c>, <c>$&lt;</c>, <c>$(LD)</c>,
/// <c>$(KBUILD_LDFLAGS)</c>, <c>$(LDFLAGS_vmlinux)</c>, <c>$(ARCH_POSTLINK)</c>, <c>$(MAKE)</c>,
/// <c>$(newer-prereqs)</c> — and the environment, and writes the .$@.d make's if_changed_dep reads.
/// On 7.x the link's target is vmlinux.unstripped, and what Makefile.vmlinux makes from it afterwards (vmlinux by
/// objcopy, modules.builtin.modinfo, modules.builtin) has its command overridden too, as a no-op. No output is
/// touched, and every .cmd file make rewrote is put back afterwards, so probing never makes a later plain make
/// relink. Before make runs: the series, its scripts, the tools and the configuration are checked, so a tree the SDK
/// would not link as make does is refused with nothing written. When make would have linked
/// (<see cref="KernelTreeValues.MakeWouldRelink"/>), the probe then builds init/version-timestamp.o as link-vmlinux.sh
/// does first; otherwise it leaves it alone, so the link inputs keep their timestamps and an up-to-date vmlinux stays
/// up to date.
/// </summary>
public static partial class KernelTreeProbe
{
    private const string CaptureScript = """
        # kbuild-sdk capture of cmd_link_vmlinux: OUT TARGET LINK-SCRIPT LD KBUILD_LDFLAGS LDFLAGS_vmlinux ARCH_POSTLINK MAKE NEWER-PREREQS
        set -e
        out=$1; shift
        { printf '%s\0' "$#" "$@"; env -0; } > "$out.tmp"
        mv "$out.tmp" "$out"
        echo "$1: $2" > ".$1.d"
        """;

    /// <summary>
    /// Builds everything vmlinux is linked from (the kernel's make, up to but not including the link)
    /// and returns the link settings. <paramref name="makeArguments"/> go to make as given (e.g.
    /// <c>LLVM=1</c>, <c>CC=clang</c>): pass the same ones as for the kernel's other make runs. The values
    /// are also written to <paramref name="saveTo"/> when given, for <see cref="Load"/>.
    /// </summary>
    public static KernelTreeValues Capture(string buildDir, IEnumerable<string>? makeArguments = null, int jobs = 0, string? saveTo = null,
        ToolProcess? tools = null)
    {
        tools ??= ToolProcess.Quiet;
        buildDir = Path.GetFullPath(buildDir);
        EnsureMakeAccepts(buildDir);
        var config = KernelConfig.Load(buildDir);
        var release = KernelRelease.Read(buildDir).EnsureSupported(buildDir);
        var series = release.Series;
        if (!File.Exists(Path.Combine(buildDir, "Makefile")))
            throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, buildDir,
                $"'{buildDir}' has no Makefile: set KernelBuildDir to the kernel's O= build directory (or the source tree for in-tree builds).");
        EnsureMakeBuildsHere(buildDir);
        var arguments = makeArguments?.ToList() ?? [];
        // Before make writes anything: the tools its build needs, whether we link this kernel as it would, and whether
        // its scripts are the ones the SDK models.
        KernelToolchain.EnsureAvailable(config, arguments, buildDir);
        KernelSupport.EnsureLinkable(config, series, buildDir);
        series.EnsureScriptsRecognised(KernelSourceTree.Of(buildDir));

        var work = Directory.CreateTempSubdirectory("kbuild-probe-");
        var commandFiles = CommandFilesOf(buildDir, series).ToDictionary(f => f, f => File.Exists(f) ? File.ReadAllBytes(f) : null);
        try
        {
            var script = Path.Combine(work.FullName, "capture.sh");
            File.WriteAllText(script, CaptureScript.ReplaceLineEndings("\n") + "\n");
            var capture = Path.Combine(work.FullName, "kbuild-values");
            var args = new List<string> { "-C", buildDir, $"-j{(jobs > 0 ? jobs : System.Environment.ProcessorCount)}" };
            args.AddRange(arguments);
            args.Add($"cmd_link_vmlinux=sh {Quote(script)} {Quote(capture)} \"$@\" \"$<\" \"$(LD)\" \"$(KBUILD_LDFLAGS)\" \"$(LDFLAGS_vmlinux)\" \"$(ARCH_POSTLINK)\" \"$(MAKE)\" \"$(newer-prereqs)\"");
            // What make derives from the linked image is made after our link, from our image.
            args.AddRange(series.Link.DerivedOutputs.Select(d => $"{d.CommandVariable}=:"));
            args.Add("vmlinux");
            var make = tools.Run("make", args, buildDir);
            if (make.ExitCode != 0)
                throw new KbuildException(ErrorCodes.KernelMakeFailed, buildDir,
                    $"the kernel's make failed in '{buildDir}' (exit code {make.ExitCode}) before the vmlinux link: " +
                    $"fix the error below (run 'make -C {buildDir} vmlinux' to see all of it).\n{make.Tail()}");
            if (!File.Exists(capture))
                throw new KbuildException(ErrorCodes.KernelTreeValuesNotCaptured, buildDir,
                    $"the kernel's make in '{buildDir}' succeeded but never ran cmd_link_vmlinux (scripts/Makefile.vmlinux), " +
                    $"so kernel {release} is not linked the way this SDK supports.");
            var captured = File.ReadAllBytes(capture);
            // make regenerates auto.conf when .config changed: judge the configuration it built.
            config = KernelConfig.Load(buildDir);
            KernelSupport.EnsureLinkable(config, series, buildDir);
            var values = Parse(captured, buildDir, release, config);
            RestoreCommandFiles(commandFiles);
            if (values.MakeWouldRelink) BuildVersionTimestamp(values, tools);
            if (saveTo != null) AtomicOutput.WriteAllBytes(saveTo, captured);
            return values;
        }
        finally
        {
            RestoreCommandFiles(commandFiles);
            File.Delete(Path.Combine(buildDir, $".{series.Link.LinkedImage}.d"));
            work.Delete(recursive: true);
        }
    }

    /// <summary>The .cmd files make rewrites while the probe runs: the link's and those of what Makefile.vmlinux derives
    /// from the linked image.</summary>
    private static IEnumerable<string> CommandFilesOf(string buildDir, KernelSeries series) =>
        new[] { series.Link.LinkedImage }.Concat(series.Link.DerivedOutputs.Select(d => d.Name))
            .Select(name => Path.Combine(buildDir, $".{name}.cmd"));

    /// <summary>The values a <see cref="Capture"/> saved, with the build directory's current configuration
    /// (for builds where the kernel's make is run by someone else).</summary>
    public static KernelTreeValues Load(string buildDir, string savedFile)
    {
        buildDir = Path.GetFullPath(buildDir);
        var config = KernelConfig.Load(buildDir);
        var release = KernelRelease.Read(buildDir).EnsureSupported(buildDir);
        if (!File.Exists(savedFile))
            throw new KbuildException(ErrorCodes.KernelTreeValuesNotCaptured, buildDir,
                $"no saved link settings for '{buildDir}' ({savedFile} does not exist): build once with KernelRunMake=true " +
                "so the kernel's make is asked for them.");
        KernelSupport.EnsureLinkable(config, release.Series, buildDir);
        release.Series.EnsureScriptsRecognised(KernelSourceTree.Of(buildDir));
        return Parse(File.ReadAllBytes(savedFile), buildDir, release, config);
    }

    // link-vmlinux.sh's first step: init/version-timestamp.o with this link's UTS_VERSION (a new build
    // number and date, so only when make would link).
    private static void BuildVersionTimestamp(KernelTreeValues kbuild, ToolProcess tools)
    {
        var r = tools.Run(kbuild.Make, ["-f", Path.Combine(kbuild.SourceDir, "scripts", "Makefile.build"), "obj=init", "init/version-timestamp.o"],
            kbuild.BuildDir, kbuild.ToolEnvironment);
        if (r.ExitCode != 0)
            throw new KbuildException(ErrorCodes.KernelMakeFailed, kbuild.BuildDir,
                $"building init/version-timestamp.o in '{kbuild.BuildDir}' failed (exit code {r.ExitCode}):\n{r.Tail()}");
    }

    // Kbuild stops with "source/build directory path contains spaces or colons" (the top Makefile); say it first.
    // The Makefile make writes into an O= directory names it ("export KBUILD_OUTPUT = /path"): a copied build directory
    // still builds in the original, whose files the probe would change while this one's stayed as they were.
    private static void EnsureMakeBuildsHere(string buildDir)
    {
        var makefile = Path.Combine(buildDir, "Makefile");
        var output = File.ReadLines(makefile).Take(5).Select(l => KbuildOutputLine().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value.Trim();
        if (output is { Length: > 0 } && Path.GetFullPath(output).TrimEnd('/') != buildDir.TrimEnd('/')
            && !(Directory.Exists(output) && new DirectoryInfo(output).ResolveLinkTarget(true)?.FullName.TrimEnd('/') == buildDir.TrimEnd('/')))
            throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, makefile,
                $"'{buildDir}' is not where its make builds: its Makefile says KBUILD_OUTPUT = {output} (a copied or moved build " +
                $"directory). Run 'make -C {KernelSourceTree.Of(buildDir)} O={buildDir} olddefconfig' once to make it its own, or set " +
                $"KernelBuildDir to {output}.");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^export KBUILD_OUTPUT\s*:?=\s*(.*)$")]
    private static partial System.Text.RegularExpressions.Regex KbuildOutputLine();

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
    internal static KernelTreeValues Parse(byte[] capture, string buildDir, KernelRelease version, KernelConfig config)
    {
        var fields = Encoding.UTF8.GetString(capture).Split('\0');
        if (!int.TryParse(fields[0], out var argc) || argc != CapturedArguments || fields.Length < 1 + argc)
            throw new KbuildException(ErrorCodes.KernelTreeValuesNotCaptured, buildDir,
                "the saved link settings of this build directory are damaged or from another version of the SDK: " +
                "build once with KernelRunMake=true so the kernel's make is asked for them again.");
        var a = fields.AsSpan(1, argc);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in fields.AsSpan(1 + argc))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) env[entry[..eq]] = entry[(eq + 1)..];
        }
        return new KernelTreeValues(buildDir, version, config, linkScript: a[1], linker: a[2], kbuildLdflags: a[3],
            ldflagsVmlinux: a[4], archPostLink: a[5], make: a[6], env, ShellWords.UnquotedExpansion(a[7]));
    }

    // The capture script's arguments after OUT: $@ $< $(LD) $(KBUILD_LDFLAGS) $(LDFLAGS_vmlinux) $(ARCH_POSTLINK) $(MAKE) $(newer-prereqs).
    private const int CapturedArguments = 8;

    private static void RestoreCommandFiles(Dictionary<string, byte[]?> saved)
    {
        foreach (var (path, bytes) in saved)
        {
            if (bytes == null) File.Delete(path);
            else AtomicOutput.WriteAllBytes(path, bytes);
        }
    }

    // make passes the recipe to /bin/sh: single-quote paths (temp dirs have no quotes, but be exact).
    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

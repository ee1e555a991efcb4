using Kbuild.IO;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// What the kernel does to vmlinux after its final link, run with the kernel's own tools, and the
/// bookkeeping that lets a later plain <c>make</c> accept a vmlinux we linked. Order, as in
/// link-vmlinux.sh and Makefile.vmlinux: final link, (System.map), <see cref="SortTables"/>,
/// <see cref="RunArchPostLink"/>, then <see cref="WriteSavedCommand"/> (make writes the link's .cmd file
/// only after the whole cmd_link_vmlinux succeeded), and on 7.x what Makefile.vmlinux makes from vmlinux.unstripped
/// (<see cref="MakeDerivedOutputs"/>: vmlinux by objcopy, modules.builtin.modinfo, modules.builtin).
/// </summary>
public static partial class KernelPostLinkSteps
{
    /// <summary>
    /// CONFIG_BUILDTIME_TABLE_SORT: sorts __ex_table (and the ORC tables) in place by running the
    /// <c>sorttable()</c> function of this kernel's link-vmlinux.sh (6.1: <c>scripts/sorttable vmlinux</c>;
    /// 6.12 first writes <c>nm -S</c> for it). A kernel that needs it crashes on a fault without it.
    /// </summary>
    public static void SortTables(KernelTreeValues kbuild, string vmlinux, ToolProcess? tools = null)
    {
        if (!kbuild.Config.IsEnabled("BUILDTIME_TABLE_SORT")) return;
        var script = File.ReadAllText(kbuild.LinkScript);
        var function = ShellFunction("sorttable").Match(script);
        if (!function.Success)
            throw new KbuildException(ErrorCodes.KernelPostLinkFailed, kbuild.LinkScript,
                "this link-vmlinux.sh has no sorttable() function, so the exception tables of vmlinux cannot be sorted the kernel's way.");
        Run(kbuild, tools, "sh", ["-e", "-c", function.Value + "\nsorttable \"$1\"", "sh", Path.GetFullPath(vmlinux)], "sorttable");
    }

    /// <summary>
    /// <c>$(MAKE) -f $(ARCH_POSTLINK) vmlinux</c> when the arch has a Makefile.postlink (x86 on 6.12: writes
    /// arch/x86/boot/compressed/vmlinux.relocs for KASLR and strips the .rela sections), run on the staged image,
    /// not on the build directory's vmlinux: the postlink works on the file named vmlinux in its working
    /// directory, so it runs in a shadow of the build directory (<see cref="PostLinkShadow"/>) whose vmlinux is
    /// the staged image. Returns the side outputs it wrote, staged, for <see cref="PublishSideOutputs"/>.
    /// </summary>
    public static IReadOnlyList<StagedFile> RunArchPostLink(KernelTreeValues kbuild, string stagedVmlinux, ToolProcess? tools = null)
    {
        if (kbuild.ArchPostLink.Length == 0) return [];
        return InShadow(kbuild, "the arch postlink", stagedVmlinux, [], writesArch: true, shadow =>
        {
            Run(kbuild, tools, kbuild.Make, ["-f", kbuild.ArchPostLink, kbuild.LinkedImage], Path.GetFileName(kbuild.ArchPostLink), shadow.Dir);
            return shadow.TakeSideOutputs();
        });
    }

    /// <summary>
    /// 7.x: what scripts/Makefile.vmlinux makes from the build directory's published vmlinux.unstripped — vmlinux by
    /// objcopy, modules.builtin.modinfo and modules.builtin, with their .cmd files — made by the kernel's own make from
    /// that Makefile in a shadow of the build directory whose .vmlinux.unstripped.cmd is the one
    /// <see cref="WriteSavedCommand"/> writes, then renamed into place. Make also judges our link there: were its
    /// command or inputs not what make would link with, it would link vmlinux.unstripped again (into the shadow, whose
    /// files it writes are its own) and the step fails, naming it. Nothing on 6.x, whose link writes vmlinux itself.
    /// </summary>
    public static void MakeDerivedOutputs(KernelTreeValues kbuild, ToolProcess? tools = null)
    {
        var derived = kbuild.Series.Link.DerivedOutputs;
        if (derived.Count == 0) return;
        var image = kbuild.LinkedImage;
        var linkCmd = $".{image}.cmd";
        // What the make run writes: the derived files and their .cmd files; and what link-vmlinux.sh would, should it link.
        string[] ownFiles = [linkCmd, $".{image}.d", "System.map", "vmlinux.map", .. derived.SelectMany(d => new[] { d.Name, $".{d.Name}.cmd" })];
        var outputs = InShadow(kbuild, "scripts/Makefile.vmlinux", stagedImage: null, ownFiles, writesArch: false, shadow =>
        {
            WriteSavedCommand(kbuild, shadow.Dir, tools);
            Run(kbuild, tools, kbuild.Make, ["-f", Path.Combine(kbuild.SourceDir, "scripts", "Makefile.vmlinux"), .. derived.Select(d => d.Name)],
                "scripts/Makefile.vmlinux", shadow.Dir);
            if (new FileInfo(Path.Combine(shadow.Dir, image)).LinkTarget == null)
                throw new KbuildException(ErrorCodes.KernelPostLinkFailed, kbuild.InBuildDir(image),
                    $"the kernel's scripts/Makefile.vmlinux linked {image} again instead of taking the SDK's: the command or inputs " +
                    $"of our link are not what make would link with ({linkCmd} differs). Please report this; build this tree with " +
                    "make vmlinux until it is fixed.");
            return shadow.TakeSideOutputs(kept: linkCmd);
        });
        PublishSideOutputs(outputs);
    }

    /// <summary>Runs <paramref name="step"/> in a <see cref="PostLinkShadow"/> of the build directory.</summary>
    private static IReadOnlyList<StagedFile> InShadow(KernelTreeValues kbuild, string step, string? stagedImage, IReadOnlyCollection<string> ownFiles,
        bool writesArch, Func<PostLinkShadow, IReadOnlyList<StagedFile>> run)
    {
        try
        {
            using var shadow = PostLinkShadow.Create(kbuild.BuildDir, kbuild.LinkedImage, stagedImage, ownFiles, writesArch);
            return run(shadow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.KernelPostLinkFailed, kbuild.BuildDir,
                $"cannot stage {step} in '{kbuild.BuildDir}': {e.Message}. The previous vmlinux was left in place.", inner: e);
        }
    }

    /// <summary>True when <paramref name="vmlinux"/> is the build directory's own linked image (make's target: vmlinux, 7.x
    /// vmlinux.unstripped).</summary>
    public static bool IsBuildDirVmlinux(KernelTreeValues kbuild, string vmlinux) =>
        Path.GetFullPath(vmlinux) == Path.Combine(kbuild.BuildDir, kbuild.LinkedImage);

    /// <summary>
    /// On the staged (patched, not yet published) image: <see cref="SortTables"/>, and — when the image becomes the
    /// build directory's own — <see cref="RunArchPostLink"/>, whose side outputs (x86 6.12: vmlinux.relocs) are
    /// renamed into place here, right before the image is. The link's .cmd file is removed first, so until
    /// <see cref="Adopt"/> writes it again a plain make relinks rather than trust a pair an interrupted build may have
    /// left half-replaced.
    /// </summary>
    public static void RunOnStaged(KernelTreeValues kbuild, string stagedVmlinux, string outputPath, ToolProcess? tools = null)
    {
        SortTables(kbuild, stagedVmlinux, tools);
        if (!IsBuildDirVmlinux(kbuild, outputPath)) return;
        var sideOutputs = RunArchPostLink(kbuild, stagedVmlinux, tools);
        File.Delete(Path.Combine(kbuild.BuildDir, $".{kbuild.LinkedImage}.cmd"));
        PublishSideOutputs(sideOutputs);
    }

    /// <summary>
    /// After the image was published: for the build directory's own image what make derives from it (7.x:
    /// <see cref="MakeDerivedOutputs"/>) and the .cmd file make compares (<see cref="WriteSavedCommand"/>), so a later
    /// <c>make bzImage</c> uses it without relinking; then the image, what was derived from it and System.map touched
    /// (all stay newer than the .cmd files; nothing in them changes) and the stamp written newest, all at one time taken
    /// from the clock, not the file system's, which can lag it. Returns whether make adopts it.
    /// </summary>
    /// <param name="publishedStamps">The build's stamps of vmlinux and System.map as published (touched with them; those
    /// that exist).</param>
    public static bool Adopt(KernelTreeValues kbuild, string vmlinux, string? systemMap, string stamp, IReadOnlyList<string>? publishedStamps = null,
        ToolProcess? tools = null)
    {
        var adopted = IsBuildDirVmlinux(kbuild, vmlinux);
        File.Delete(stamp);
        if (adopted)
        {
            MakeDerivedOutputs(kbuild, tools);
            WriteSavedCommand(kbuild, kbuild.BuildDir, tools);
        }
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(vmlinux, now);
        if (adopted)
            foreach (var derived in kbuild.Series.Link.DerivedOutputs)
                File.SetLastWriteTimeUtc(kbuild.InBuildDir(derived.Name), now);
        if (systemMap is { Length: > 0 } map && File.Exists(map)) File.SetLastWriteTimeUtc(map, now);
        foreach (var published in (publishedStamps ?? []).Where(File.Exists)) File.SetLastWriteTimeUtc(published, now);
        File.WriteAllText(stamp, kbuild.Release + "\n");
        File.SetLastWriteTimeUtc(stamp, now);
        return adopted;
    }

    /// <summary>Renames staged side outputs of the postlink onto their places in the build directory.</summary>
    public static void PublishSideOutputs(IEnumerable<StagedFile> files)
    {
        foreach (var f in files) AtomicOutput.Commit(f.Staged, f.Destination);
    }

    /// <summary>
    /// Writes the link's .cmd file (.vmlinux.cmd; 7.x .vmlinux.unstripped.cmd) into <paramref name="dir"/> (the build
    /// directory, or a shadow of it) as make's if_changed_dep would after the kernel's own link — the kernel's
    /// scripts/basic/fixdep turns <see cref="KernelTreeValues.SavedLinkCommand"/> and the .d file link-vmlinux.sh leaves into
    /// <c>cmd_vmlinux :=</c> (6.1) / <c>savedcmd_vmlinux :=</c> (6.12+) plus its CONFIG dependencies — so a later
    /// <c>make vmlinux</c>/<c>make bzImage</c> sees the same command and, the image being newer than its inputs, does
    /// not relink.
    /// </summary>
    public static void WriteSavedCommand(KernelTreeValues kbuild, string dir, ToolProcess? tools = null)
    {
        var image = kbuild.LinkedImage;
        var depFile = Path.Combine(dir, $".{image}.d");
        var cmdFile = Path.Combine(dir, $".{image}.cmd");
        File.WriteAllText(depFile, $"{image}: {kbuild.LinkScript}\n");
        try
        {
            AtomicOutput.Write(cmdFile, temp =>
            {
                var r = (tools ?? ToolProcess.Quiet).Run(kbuild.InBuildDir("scripts/basic/fixdep"), [$".{image}.d", image, kbuild.EscapedSavedLinkCommand],
                    dir, kbuild.ToolEnvironment, stdoutFile: temp);
                if (r.ExitCode != 0)
                    throw new KbuildException(ErrorCodes.KernelPostLinkFailed, cmdFile,
                        $"scripts/basic/fixdep failed (exit code {r.ExitCode}) writing {cmdFile}: {r.Tail()}");
            });
        }
        finally
        {
            File.Delete(depFile);
        }
    }

    private static void Run(KernelTreeValues kbuild, ToolProcess? tools, string tool, IEnumerable<string> args, string step,
        string? workingDirectory = null)
    {
        var r = (tools ?? ToolProcess.Quiet).Run(tool, args, workingDirectory ?? kbuild.BuildDir, kbuild.ToolEnvironment);
        if (r.ExitCode != 0)
            throw new KbuildException(ErrorCodes.KernelPostLinkFailed, Path.Combine(kbuild.BuildDir, "vmlinux"),
                $"the kernel's post-link step '{step}' failed (exit code {r.ExitCode}); vmlinux is not usable:\n{r.Tail()}");
    }

    // "name()\n{ ... \n}" as link-vmlinux.sh writes its functions.
    private static Regex ShellFunction(string name) =>
        new($@"^{Regex.Escape(name)}\(\)\s*\n\{{.*?^\}}", RegexOptions.Multiline | RegexOptions.Singleline);
}

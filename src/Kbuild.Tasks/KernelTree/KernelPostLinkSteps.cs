using Kbuild.IO;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>
/// What the kernel does to vmlinux after its final link, run with the kernel's own tools, and the
/// bookkeeping that lets a later plain <c>make</c> accept a vmlinux we linked. Order, as in
/// link-vmlinux.sh and Makefile.vmlinux: final link, (System.map), <see cref="SortTables"/>,
/// <see cref="RunArchPostlink"/>, and last <see cref="WriteSavedCommand"/> (make writes .vmlinux.cmd
/// only after the whole cmd_link_vmlinux succeeded).
/// </summary>
public static partial class KernelPostLinkSteps
{
    /// <summary>
    /// CONFIG_BUILDTIME_TABLE_SORT: sorts __ex_table (and the ORC tables) in place by running the
    /// <c>sorttable()</c> function of this kernel's link-vmlinux.sh (6.1: <c>scripts/sorttable vmlinux</c>;
    /// 6.12 first writes <c>nm -S</c> for it). A kernel that needs it crashes on a fault without it.
    /// </summary>
    public static void SortTables(KbuildValues kbuild, string vmlinux, ToolProcess? tools = null)
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
    /// directory, so it runs in a shadow of the build directory (<see cref="PostlinkShadow"/>) whose vmlinux is
    /// the staged image. Returns the side outputs it wrote, staged, for <see cref="PublishSideOutputs"/>.
    /// </summary>
    public static IReadOnlyList<StagedFile> RunArchPostlink(KbuildValues kbuild, string stagedVmlinux, ToolProcess? tools = null)
    {
        if (kbuild.ArchPostlink.Length == 0) return [];
        try
        {
            using var shadow = PostlinkShadow.Create(kbuild.BuildDir, stagedVmlinux);
            Run(kbuild, tools, kbuild.Make, ["-f", kbuild.ArchPostlink, "vmlinux"], Path.GetFileName(kbuild.ArchPostlink), shadow.Dir);
            return shadow.TakeSideOutputs();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.KernelPostLinkFailed, kbuild.BuildDir,
                $"cannot stage the arch postlink in '{kbuild.BuildDir}': {e.Message}. The previous vmlinux was left in place.", inner: e);
        }
    }

    /// <summary>True when <paramref name="vmlinux"/> is the build directory's own vmlinux (make's target).</summary>
    public static bool IsBuildDirVmlinux(KbuildValues kbuild, string vmlinux) =>
        Path.GetFullPath(vmlinux) == Path.Combine(kbuild.BuildDir, "vmlinux");

    /// <summary>
    /// On the staged (patched, not yet published) image: <see cref="SortTables"/>, and — when the image becomes the
    /// build directory's own vmlinux — <see cref="RunArchPostlink"/>, whose side outputs (x86: vmlinux.relocs) are
    /// renamed into place here, right before the image is. .vmlinux.cmd is removed first, so until <see cref="Adopt"/>
    /// writes it again a plain make relinks rather than trust a pair an interrupted build may have left half-replaced.
    /// </summary>
    public static void RunOnStaged(KbuildValues kbuild, string stagedVmlinux, string outputPath, ToolProcess? tools = null)
    {
        SortTables(kbuild, stagedVmlinux, tools);
        if (!IsBuildDirVmlinux(kbuild, outputPath)) return;
        var sideOutputs = RunArchPostlink(kbuild, stagedVmlinux, tools);
        File.Delete(Path.Combine(kbuild.BuildDir, ".vmlinux.cmd"));
        PublishSideOutputs(sideOutputs);
    }

    /// <summary>
    /// After the image was published: for the build directory's own vmlinux the .vmlinux.cmd make compares
    /// (<see cref="WriteSavedCommand"/>), so a later <c>make bzImage</c> uses it without relinking; then vmlinux and
    /// System.map touched (both stay newer than .vmlinux.cmd; nothing in them changes) and the stamp written newest,
    /// all at one time taken from the clock, not the file system's, which can lag it. Returns whether make adopts it.
    /// </summary>
    public static bool Adopt(KbuildValues kbuild, string vmlinux, string? systemMap, string stamp, ToolProcess? tools = null)
    {
        var adopted = IsBuildDirVmlinux(kbuild, vmlinux);
        File.Delete(stamp);
        if (adopted) WriteSavedCommand(kbuild, tools);
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(vmlinux, now);
        if (systemMap is { Length: > 0 } map && File.Exists(map)) File.SetLastWriteTimeUtc(map, now);
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
    /// Writes .vmlinux.cmd as make's if_changed_dep would after the kernel's own link — the kernel's
    /// scripts/basic/fixdep turns <see cref="KbuildValues.SavedLinkCommand"/> and the .vmlinux.d
    /// link-vmlinux.sh leaves into <c>cmd_vmlinux :=</c> (6.1) / <c>savedcmd_vmlinux :=</c> (6.12) plus
    /// its CONFIG dependencies — so a later <c>make vmlinux</c>/<c>make bzImage</c> sees the same
    /// command and, vmlinux being newer than its inputs, does not relink.
    /// </summary>
    public static void WriteSavedCommand(KbuildValues kbuild, ToolProcess? tools = null)
    {
        var depFile = Path.Combine(kbuild.BuildDir, ".vmlinux.d");
        var cmdFile = Path.Combine(kbuild.BuildDir, ".vmlinux.cmd");
        File.WriteAllText(depFile, $"vmlinux: {kbuild.LinkScript}\n");
        try
        {
            AtomicOutput.Write(cmdFile, temp =>
            {
                var r = (tools ?? ToolProcess.Quiet).Run(kbuild.InBuildDir("scripts/basic/fixdep"), [".vmlinux.d", "vmlinux", kbuild.EscapedSavedLinkCommand],
                    kbuild.BuildDir, kbuild.ToolEnvironment, stdoutFile: temp);
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

    private static void Run(KbuildValues kbuild, ToolProcess? tools, string tool, IEnumerable<string> args, string step,
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

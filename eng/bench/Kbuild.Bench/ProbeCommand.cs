using Kbuild.Kernel;
using Kbuild.KernelTree;
using Kbuild.Image;
using Kbuild.Table;

namespace Kbuild.Bench;

/// <summary>
/// probe &lt;kernel-build-dir&gt; &lt;out-dir&gt;: asks the kernel's make how it links vmlinux
/// (<see cref="KernelTreeProbe"/>, the make step of kernel-tree mode) and writes what the link-phase benchmark runs:
/// <list type="bullet">
/// <item><c>tool.env</c>: make's exported environment for kernel tools (NUL-separated KEY=VALUE)</item>
/// <item><c>kernel-link.args</c>: the kernel's link phase, <c>sh link-vmlinux.sh LD KBUILD_LDFLAGS LDFLAGS_vmlinux</c>; on 7.x,
/// whose link writes vmlinux.unstripped and then makes vmlinux from it, <c>make -f scripts/Makefile.vmlinux</c>: the link
/// and the objcopy (and modules.builtin) as make runs them</item>
/// <item><c>postlink.args</c>: <c>make -f ARCH_POSTLINK vmlinux</c>, empty when the arch has none (and on 7.x, where
/// Makefile.vmlinux runs it)</item>
/// <item><c>floor.args</c>: one bare final link of the same inputs (output <c>floor/vmlinux</c>, table: the reservation
/// object the SDK writes in kernel-tree mode, e.g. <c>obj/.tmp_vmlinux2.kallsyms.o</c>)</item>
/// </list>
/// All argument files are NUL-separated; relative paths are relative to the kernel build directory.
/// </summary>
public static class ProbeCommand
{
    public static void Run(string[] args)
    {
        if (args.Length != 2) throw new ArgumentException("usage: probe <kernel-build-dir> <out-dir>");
        var values = KernelTreeProbe.Capture(args[0]);
        var outDir = Directory.CreateDirectory(args[1]).FullName;

        WriteNulSeparated(Path.Combine(outDir, "tool.env"), values.ToolEnvironment.Select(kv => $"{kv.Key}={kv.Value}"));
        var derives = values.Series.Link.DerivedOutputs.Count > 0;
        WriteNulSeparated(Path.Combine(outDir, "kernel-link.args"), derives
            ? [values.Make, "-f", Path.Combine(values.SourceDir, "scripts", "Makefile.vmlinux")]
            : ["sh", values.LinkScript, values.Linker, values.KbuildLdflags, values.LdflagsVmlinux]);
        WriteNulSeparated(Path.Combine(outDir, "postlink.args"),
            values.ArchPostLink.Length > 0 && !derives ? [values.Make, "-f", values.ArchPostLink, "vmlinux"] : []);

        var floor = new LinkerCommand
        {
            Output = Path.Combine(outDir, "floor", "vmlinux"),
            LinkerScript = values.LinkerScript,
            Objects = values.WholeArchiveInputs,
            Libraries = values.Libraries,
            Flags = ShellWords.CommandLine(values.KbuildLdflags),
            VmlinuxFlags = ShellWords.CommandLine(values.LdflagsVmlinux),
            KallsymsObject = Path.Combine(outDir, "obj", values.Series.Link.FinalKallsymsObjectName),
        };
        WriteNulSeparated(Path.Combine(outDir, "floor.args"), [values.Linker, .. floor.Arguments()]);
        Console.WriteLine($"probed {values.BuildDir}: Linux {values.Version}, {values.WholeArchiveInputs.Count} objects, {values.Libraries.Count} libraries");
    }

    private static void WriteNulSeparated(string path, IEnumerable<string> entries) =>
        File.WriteAllText(path, string.Concat(entries.Select(e => e + "\0")));
}

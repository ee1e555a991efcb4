using Kbuild.Inputs;
using System.Text.RegularExpressions;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.IO;
using Kbuild.Kernel;

namespace Kbuild.KernelTree;

/// <summary>
/// CONFIG_DEBUG_INFO_BTF, as link-vmlinux.sh does it, with the kernel's own tools and flags: <see cref="Generate"/>
/// is its <c>gen_btf</c> (7.x: the tree's scripts/gen-btf.sh) on an image linked with DWARF, <see cref="ResolveIds"/>
/// its <c>resolve_btfids</c> on the final image (7.x: <c>--patch_btfids</c> with the .BTF_ids gen-btf.sh resolved).
/// <c>$(PAHOLE)</c>, <c>$(PAHOLE_FLAGS)</c>, <c>$(OBJCOPY)</c> and <c>$(RESOLVE_BTFIDS)</c> are the values the kernel's
/// make exported (7.x and 6.12: scripts/Makefile.btf, 6.1: scripts/pahole-flags.sh), never re-derived here: pahole's
/// <c>-j</c>, for one, depends on KBUILD_BUILD_TIMESTAMP.
/// </summary>
public static partial class KernelBtf
{
    /// <summary>Whether this kernel's link generates BTF.</summary>
    public static bool Enabled(KernelTreeValues kbuild) => kbuild.Config.IsEnabled("DEBUG_INFO_BTF");

    /// <summary>
    /// The .BTF object of <paramref name="image"/> (linked with DWARF) into <paramref name="btfObject"/>; on 7.x also the
    /// resolved .BTF_ids into <paramref name="btfIds"/> (<see cref="GenerateWithScript"/>). 6.x:
    /// <c>LLVM_OBJCOPY=$(OBJCOPY) $(PAHOLE) -J $(PAHOLE_FLAGS) image</c> (adds .BTF to <paramref name="image"/> in place),
    /// then the .BTF section alone, allocated and read-only, without symbols, into <paramref name="btfObject"/>,
    /// whose e_type is patched to ET_REL so that ld takes it as an input.
    /// </summary>
    public static void Generate(KernelTreeValues kbuild, string image, string btfObject, string? btfIds = null, ToolProcess? tools = null)
    {
        if (kbuild.Series.Link.BtfScript is { } script)
        {
            GenerateWithScript(kbuild, script, image, btfObject, btfIds
                ?? throw new KbuildException(ErrorCodes.KernelBtfFailed, image, $"{script} also resolves .BTF_ids: name the file to keep them in."), tools);
            return;
        }
        var environment = new Dictionary<string, string>(kbuild.ToolEnvironment, StringComparer.Ordinal) { ["LLVM_OBJCOPY"] = kbuild.Objcopy };
        Run(kbuild, kbuild.Get("PAHOLE"), ["-J", .. ShellWords.UnquotedExpansion(kbuild.Get("PAHOLE_FLAGS")), image], environment, image, "pahole -J", tools);
        AtomicOutput.Write(btfObject, temp =>
        {
            Run(kbuild, kbuild.Objcopy, ["--only-section=.BTF", "--set-section-flags", ".BTF=alloc,readonly", "--strip-all", image, temp],
                kbuild.ToolEnvironment, image, "objcopy --only-section=.BTF", tools);
            using var file = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite);
            file.Position = 16;  // e_type
            file.Write(kbuild.Config.IsEnabled("CPU_BIG_ENDIAN") ? [0, 1] : [1, 0]);
        });
    }

    /// <summary>
    /// 7.x: the tree's own <c>$(CONFIG_SHELL) scripts/gen-btf.sh image</c> (pahole <c>--btf_encode_detached</c>,
    /// <c>resolve_btfids --btf</c>, and the .BTF object compiled from an empty C file), which leaves image.btf.o and
    /// image.BTF_ids beside the image; they are renamed to <paramref name="btfObject"/> and <paramref name="btfIds"/>.
    /// </summary>
    private static void GenerateWithScript(KernelTreeValues kbuild, string script, string image, string btfObject, string btfIds, ToolProcess? tools)
    {
        var shell = kbuild.Get("CONFIG_SHELL") is { Length: > 0 } s ? s : "sh";
        Run(kbuild, shell, [Path.Combine(kbuild.SourceDir, script), image], kbuild.ToolEnvironment, image, script, tools);
        foreach (var (made, destination) in new[] { (image + ".btf.o", btfObject), (image + ".BTF_ids", btfIds) })
        {
            if (!File.Exists(made))
                throw new KbuildException(ErrorCodes.KernelBtfFailed, image,
                    $"BTF: {script} succeeded but left no {Path.GetFileName(made)} beside {image}: this tree's script is not the one the SDK knows.");
            AtomicOutput.Commit(made, destination);
        }
    }

    /// <summary><c>$(RESOLVE_BTFIDS) image</c>: fills the .BTF_ids section of the final image; 7.x:
    /// <c>$(RESOLVE_BTFIDS) --patch_btfids btfIds image</c> with the .BTF_ids <see cref="GenerateWithScript"/> resolved.
    /// 6.1 asks for CONFIG_BPF too; every series' DEBUG_INFO_BTF depends on BPF_SYSCALL, which selects it.</summary>
    public static void ResolveIds(KernelTreeValues kbuild, string image, string? btfIds = null, ToolProcess? tools = null)
    {
        if (!Enabled(kbuild) || !kbuild.Config.IsEnabled("BPF")) return;
        var resolveBtfIds = kbuild.InBuildDir(kbuild.Get("RESOLVE_BTFIDS"));
        if (kbuild.Series.Link.BtfScript is null)
            Run(kbuild, resolveBtfIds, [Path.GetFullPath(image)], kbuild.ToolEnvironment, image, "resolve_btfids", tools);
        else
            Run(kbuild, resolveBtfIds, ["--patch_btfids", Path.GetFullPath(btfIds ?? throw new KbuildException(ErrorCodes.KernelBtfFailed, image,
                    "BTF: resolve_btfids --patch_btfids needs the .BTF_ids of the BTF object; build again so KbuildBtf makes them.")),
                Path.GetFullPath(image)], kbuild.ToolEnvironment, image, "resolve_btfids --patch_btfids", tools);
    }

    /// <summary>
    /// The linker script of the relocatable link (<c>ld -r</c>) pahole reads for BTF from the link inputs: the final link
    /// script's <c>.data..percpu</c> statement alone, so the per-CPU variables of .data..percpu..page_aligned,
    /// ..read_mostly, ..shared_aligned, … land in one .data..percpu, laid out as in the image (which starts it page
    /// aligned): pahole encodes per-CPU variables from the section of that name only. Null when the kernel has no such
    /// section (a uniprocessor kernel's per-CPU variables are plain data), and the link needs no script.
    /// </summary>
    public static string? RelocatableLinkScript(string linkerScript)
    {
        var text = File.ReadAllText(linkerScript);
        var statement = PerCpuStatement().Match(text);
        if (!statement.Success) return null;
        var open = text.IndexOf('{', statement.Index);
        var close = LinkerScriptLayout.Matching(text, open, '{', '}');
        if (close < 0)
            throw new KbuildException(ErrorCodes.KernelBtfFailed, linkerScript,
                "the .data..percpu statement of the linker script has no closing brace: the script is damaged; rebuild it with make.");
        return $"SECTIONS {{ .data..percpu : {text[open..(close + 1)]} }}\n";
    }

    /// <summary>
    /// The check of the BTF the final link includes, against the linked image, in every BTF build: each data section it
    /// describes (pahole's .data..percpu) has the image section's size and each of its variables the offset of the image's
    /// symbol, so no per-CPU variable is missing or misplaced; and for BTF made from the link inputs, every function and
    /// variable it names is a symbol of the image (pahole encodes one per ELF symbol of the file it reads, so a function
    /// in a section the linker script discards would show). Either miss means the kernel's own BTF, from its linked image,
    /// would differ from this one.
    /// </summary>
    /// <param name="namesToo">The BTF was made from the link inputs, not from a link of the image's layout.</param>
    public static void CheckAgainstImage(string btfObject, string image, bool namesToo)
    {
        BtfNames names;
        using (var btf = ElfImage.Open(btfObject))
        {
            names = (btf.FindSection(".BTF") is { } section ? BtfNames.Read(btf.ReadSection(section)) : null)
                ?? throw new KbuildException(ErrorCodes.KernelBtfFailed, btfObject, "has no readable .BTF section; delete it and build again.");
        }
        var missing = new List<string>();
        using (var linked = ElfImage.Open(image))
        {
            var all = linked.ReadSymbols().Where(s => !s.IsUndefined).ToList();
            var bySection = all.GroupBy(s => s.SectionIndex).ToDictionary(g => g.Key, g => g.GroupBy(s => s.Name).ToDictionary(n => n.Key, n => n.First().Value));
            foreach (var data in names.DataSections)
            {
                var section = linked.FindSection(data.Name);
                if (section == null || section.Size != data.Size)
                {
                    missing.Add($"section {data.Name} of {data.Size} bytes (the image's has {(section == null ? "none" : section.Size.ToString())})");
                    continue;
                }
                var symbols = bySection.GetValueOrDefault((uint)section.Index) ?? [];
                missing.AddRange(data.Variables.Where(v => !symbols.TryGetValue(v.Name, out var value) || value - section.Address != v.Offset)
                    .Select(v => $"variable {v.Name} at {data.Name}+0x{v.Offset:x}"));
            }
            if (namesToo)
            {
                var functions = all.Where(s => s.Type == ElfSymbolType.Func).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                var symbols = all.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                // 7.x's resolve_btfids adds "<kfunc>_impl" for each kfunc with implicit arguments: a FUNC of the BTF, no ELF symbol.
                missing.AddRange(names.Functions.Where(f => !functions.Contains(f) && !(f.EndsWith("_impl", StringComparison.Ordinal) && functions.Contains(f[..^5])))
                    .Select(f => $"function {f}"));
                missing.AddRange(names.Variables.Where(v => !symbols.Contains(v)).Select(v => $"variable {v}"));
            }
        }
        if (missing.Count > 0)
            throw new KbuildException(ErrorCodes.KernelBtfNotTheImages, btfObject,
                $"the BTF the link included does not describe the linked image {image}: {missing.Count} difference(s) " +
                $"({string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}), so it is not the BTF the kernel's own link " +
                "would make. " + (namesToo ? "Set KernelTreeBtfFrom=Image (BTF from a link with DWARF, as link-vmlinux.sh does) and build again." : "Please report this."));
    }

    [GeneratedRegex(@"(?<![\w.])\.data\.\.percpu(?:\s+0)?\s*:[^{]*\{")]
    private static partial Regex PerCpuStatement();

    private static void Run(KernelTreeValues kbuild, string tool, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment,
        string image, string step, ToolProcess? tools)
    {
        var r = (tools ?? ToolProcess.Quiet).Run(tool, args, kbuild.BuildDir, environment);
        if (r.ExitCode != 0)
            throw new KbuildException(ErrorCodes.KernelBtfFailed, image,
                $"BTF: '{step}' failed on {image} (exit code {r.ExitCode}); the kernel's link would stop here too " +
                $"(\"Failed to generate BTF for vmlinux\"):\n{r.Tail()}");
    }
}

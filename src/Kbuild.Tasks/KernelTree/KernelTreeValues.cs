using Kbuild.Kernel;
using System.Text.RegularExpressions;

namespace Kbuild.KernelTree;

/// <summary>
/// Everything the kernel's scripts/link-vmlinux.sh uses to link vmlinux, as the kernel's own make
/// passed it (see <see cref="KernelTreeProbe"/>): the arguments of <c>cmd_link_vmlinux</c> and make's
/// exported environment. Paths are absolute; the link runs in <see cref="BuildDir"/>.
/// </summary>
public sealed partial class KernelTreeValues
{
    public KernelTreeValues(string buildDir, KernelRelease release, KernelConfig config, string linkScript,
        string linker, string kbuildLdflags, string ldflagsVmlinux, string archPostLink, string make,
        IReadOnlyDictionary<string, string> environment, IReadOnlyList<string>? newerPrerequisites = null)
    {
        BuildDir = Path.GetFullPath(buildDir);
        Release = release;
        Config = config;
        LinkScript = linkScript;
        Linker = linker;
        KbuildLdflags = kbuildLdflags;
        LdflagsVmlinux = ldflagsVmlinux;
        ArchPostLink = archPostLink;
        Make = make;
        Environment = environment;
        NewerPrerequisites = newerPrerequisites ?? [];
    }

    public string BuildDir { get; }
    public KernelRelease Release { get; }
    public KernelVersion Version => Release.Version;
    public KernelSeries Series => Release.Series;
    public KernelConfig Config { get; }

    /// <summary><c>$&lt;</c> of the vmlinux rule: the source tree's scripts/link-vmlinux.sh.</summary>
    public string LinkScript { get; }

    /// <summary><c>$(LD)</c>, e.g. "ld" or "ld.lld" (a command, resolved through PATH).</summary>
    public string Linker { get; }

    /// <summary><c>$(KBUILD_LDFLAGS)</c> and <c>$(LDFLAGS_vmlinux)</c> as make passed them (unsplit).</summary>
    public string KbuildLdflags { get; }
    public string LdflagsVmlinux { get; }

    /// <summary><c>$(ARCH_POSTLINK)</c>: arch/$(SRCARCH)/Makefile.postlink when the arch has one, else "".</summary>
    public string ArchPostLink { get; }

    /// <summary><c>$(MAKE)</c>.</summary>
    public string Make { get; }

    /// <summary>The prerequisites of vmlinux make found newer than vmlinux (kbuild's <c>$(newer-prereqs)</c>).</summary>
    public IReadOnlyList<string> NewerPrerequisites { get; }

    /// <summary>The environment make ran cmd_link_vmlinux with (all exported kbuild variables).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string Get(string variable) => Environment.GetValueOrDefault(variable, "");

    public string SourceDir => Path.GetFullPath(Get("srctree") is { Length: > 0 } s ? s : ".", BuildDir);
    public string Architecture => Get("SRCARCH");
    public string Compiler => Get("CC");
    public string Objcopy => Get("OBJCOPY");

    /// <summary>The preprocessed linker script, <c>$(objtree)/$(KBUILD_LDS)</c>.</summary>
    public string LinkerScript => InBuildDir(Get("KBUILD_LDS"));

    public bool KallsymsEnabled => Config.IsEnabled("KALLSYMS");

    /// <summary>link-vmlinux.sh: LTO and IBT kernels (7.x: also KLP_BUILD) link the already-processed vmlinux.o instead
    /// of vmlinux.a plus the libraries.</summary>
    public bool LinksVmlinuxO => Series.Link.VmlinuxOOptions.Any(Config.IsEnabled);

    /// <summary>Linked inside <c>--whole-archive</c>: vmlinux.a (or vmlinux.o), .vmlinux.export.o (6.x: with
    /// modules), init/version-timestamp.o.</summary>
    public IReadOnlyList<string> WholeArchiveInputs
    {
        get
        {
            var inputs = new List<string> { InBuildDir(LinksVmlinuxO ? "vmlinux.o" : "vmlinux.a") };
            if (!Series.Link.ExportObjectNeedsModules || Config.IsEnabled("MODULES")) inputs.Add(InBuildDir(".vmlinux.export.o"));
            inputs.Add(InBuildDir("init/version-timestamp.o"));
            return inputs;
        }
    }

    /// <summary><c>$(KBUILD_VMLINUX_LIBS)</c>, linked inside <c>--start-group</c> (none with vmlinux.o).</summary>
    public IReadOnlyList<string> Libraries =>
        LinksVmlinuxO ? [] : ShellWords.UnquotedExpansion(Get("KBUILD_VMLINUX_LIBS")).Select(InBuildDir).ToList();

    /// <summary>The flags of the final link: KBUILD_LDFLAGS, LDFLAGS_vmlinux, <c>--script=</c>, and
    /// <c>-Map=vmlinux.map</c> with CONFIG_VMLINUX_MAP (link-vmlinux.sh splits them on blanks).</summary>
    public IReadOnlyList<string> LinkerFlags
    {
        get
        {
            var flags = ShellWords.UnquotedExpansion(KbuildLdflags).Concat(ShellWords.UnquotedExpansion(LdflagsVmlinux)).Append($"--script={LinkerScript}").ToList();
            if (MapFlag is { } map) flags.Add(map);
            return flags;
        }
    }

    /// <summary>LDFLAGS_vmlinux as the SDK's LdFlagsVmlinux: with <see cref="MapFlag"/> appended, as link-vmlinux.sh adds it.</summary>
    public string VmlinuxFlags => MapFlag is { } map ? $"{LdflagsVmlinux} {map}" : LdflagsVmlinux;

    /// <summary><see cref="KallsymsOptions"/> as the table's options (6.12 is always base-relative).</summary>
    public Table.KallsymsOptions KallsymsSwitches => Table.KallsymsOptions.FromSwitches(KallsymsOptions, Series.Kallsyms);

    /// <summary>link-vmlinux.sh's <c>-Map=vmlinux.map</c> with CONFIG_VMLINUX_MAP (the map of the final link), else null.</summary>
    public string? MapFlag => Config.IsEnabled("VMLINUX_MAP") ? $"-Map={InBuildDir("vmlinux.map")}" : null;

    /// <summary>The options link-vmlinux.sh of this kernel passes to scripts/kallsyms, read from the
    /// script itself (<c>if is_enabled CONFIG_X [|| is_enabled CONFIG_Y]; then kallsymopt="${kallsymopt} --option"</c>).</summary>
    public IReadOnlyList<string> KallsymsOptions => KallsymsOptionsOf(Config, LinkScript);

    /// <summary>The scripts/kallsyms options a link-vmlinux.sh passes under a configuration.</summary>
    public static IReadOnlyList<string> KallsymsOptionsOf(KernelConfig config, string linkScript) =>
        KallsymsOptionPattern().Matches(File.ReadAllText(linkScript))
            .Where(m => m.Groups["config"].Captures.Any(c => config.IsEnabled(c.Value)))
            .Select(m => m.Groups["option"].Value).ToList();

    /// <summary>The flags link-vmlinux.sh passes <see cref="Compiler"/> for the kallsyms .S
    /// (<c>$(NOSTDINC_FLAGS) $(LINUXINCLUDE) $(KBUILD_CPPFLAGS) $(KBUILD_AFLAGS) $(KBUILD_AFLAGS_KERNEL)</c>),
    /// with the include paths kbuild writes relative to the build directory (<c>-I./include</c>) made
    /// absolute, so the assembler can run anywhere.</summary>
    public IReadOnlyList<string> AssemblerFlags
    {
        get
        {
            var words = new[] { "NOSTDINC_FLAGS", "LINUXINCLUDE", "KBUILD_CPPFLAGS", "KBUILD_AFLAGS", "KBUILD_AFLAGS_KERNEL" }
                .SelectMany(v => ShellWords.UnquotedExpansion(Get(v))).ToList();
            for (var i = 0; i < words.Count; i++)
            {
                if (words[i] is "-I" or "-include" or "-isystem" or "-iquote" && i + 1 < words.Count)
                    words[i + 1] = InBuildDir(words[++i]);
                else if (words[i].StartsWith("-I", StringComparison.Ordinal))
                    words[i] = "-I" + InBuildDir(words[i][2..]);
            }
            return words;
        }
    }

    /// <summary>
    /// The link command make compares with the one saved in .vmlinux.cmd (7.x: .vmlinux.unstripped.cmd; if_changed): the
    /// expansion of scripts/Makefile.vmlinux's <c>cmd_link_vmlinux</c>
    /// (<c>$&lt; "$(LD)" "$(KBUILD_LDFLAGS)" "$(LDFLAGS_vmlinux)" ["$@"]; $(if $(ARCH_POSTLINK), $(MAKE) -f $(ARCH_POSTLINK) $@, true)</c>).
    /// </summary>
    public string SavedLinkCommand =>
        $"{LinkScript} \"{Linker}\" \"{KbuildLdflags}\" \"{LdflagsVmlinux}\"" +
        (Series.Link.PassesOutputName ? $" \"{LinkedImage}\"" : "") +
        ";  " +  // the continuation line and $(if)'s leading blank
        (ArchPostLink.Length > 0 ? $"{Make} -f {ArchPostLink} {LinkedImage}" : "true");

    /// <summary>The file the kernel's final link writes: vmlinux, or on 7.x vmlinux.unstripped (relative to the build dir).</summary>
    public string LinkedImage => Series.Link.LinkedImage;

    /// <summary><see cref="SavedLinkCommand"/> as .vmlinux.cmd spells it: Kbuild.include's make-cmd doubles
    /// <c>$</c> and writes <c>#</c> as <c>$(pound)</c>.</summary>
    public string EscapedSavedLinkCommand =>
        SavedLinkCommand.Replace("$", "$$", StringComparison.Ordinal).Replace("#", "$(pound)", StringComparison.Ordinal);

    /// <summary>Whether the kernel's make would link vmlinux now (its if_changed rule): the linked image is missing,
    /// a prerequisite is newer, or the command saved in its .cmd file differs from this one.</summary>
    public bool MakeWouldRelink
    {
        get
        {
            var vmlinux = InBuildDir(LinkedImage);
            var cmdFile = InBuildDir($".{LinkedImage}.cmd");
            if (!File.Exists(vmlinux) || !File.Exists(cmdFile) || NewerPrerequisites.Count > 0) return true;
            var saved = File.ReadLines(cmdFile).FirstOrDefault()?.Split(" := ", 2);
            return saved is not [_, var command] || command != EscapedSavedLinkCommand;
        }
    }

    /// <summary>The environment to run kernel tools with after make has exited: make's own, minus the
    /// job-server connection and command-line overrides that belonged to that make.</summary>
    public IReadOnlyDictionary<string, string> ToolEnvironment
    {
        get
        {
            var env = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
            foreach (var v in new[] { "MAKELEVEL", "MAKEOVERRIDES", "MFLAGS", "MAKE_TERMOUT", "MAKE_TERMERR" }) env.Remove(v);
            if (env.TryGetValue("MAKEFLAGS", out var flags))
            {
                var own = flags.Split(" -- ", 2)[0];  // what follows " -- " are command-line variables
                env["MAKEFLAGS"] = string.Join(' ', own.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Where(w => !w.StartsWith("--jobserver", StringComparison.Ordinal) && !w.StartsWith("-j", StringComparison.Ordinal)));
            }
            return env;
        }
    }

    internal string InBuildDir(string path) => Path.GetFullPath(path, BuildDir);


    [GeneratedRegex(@"is_enabled\s+(?<config>CONFIG_\w+)(?:\s*\|\|\s*is_enabled\s+(?<config>CONFIG_\w+))*\s*;\s*then\s+kallsymopt=""\$\{kallsymopt\}\s+(?<option>--[\w-]+)""")]
    private static partial Regex KallsymsOptionPattern();
}

using Kbuild.Diagnostics;

namespace Kbuild.Kernel;

/// <summary>An option the kernel's link acts on that this SDK does not reproduce: what the kernel does with it, and why
/// it is refused (what our link would get wrong, or that no test shows it right).</summary>
public sealed record RefusedOption(string Option, string KernelDoes, string Why);

/// <summary>
/// Everything that differs between kernel series, as data in one place: the kallsyms table's layout (scripts/kallsyms),
/// System.map's filter (scripts/mksysmap), the link's steps and names (scripts/link-vmlinux.sh, scripts/Makefile.vmlinux),
/// which architectures and options are linked, and which versions of those scripts the SDK was checked against. One
/// descriptor per series, each in its own file under Series/; adding a series adds a descriptor and its tests.
/// </summary>
public sealed partial record KernelSeries
{
    /// <summary>The major.minor this descriptor covers (any patch level whose scripts are <see cref="Scripts"/>).</summary>
    public required KernelVersion Version { get; init; }

    /// <summary>Where its facts were read, for messages: "7.3 (Debian linux-source-7.3 7.3.4)".</summary>
    public required string Description { get; init; }

    public required KallsymsLayout Kallsyms { get; init; }

    /// <summary>scripts/mksysmap's patterns, verbatim (POSIX basic regular expressions matched against the whole nm
    /// line): a line matching any of them is left out of System.map.</summary>
    public required IReadOnlyList<string> SystemMapPatterns { get; init; }

    public required VmlinuxLinkSteps Link { get; init; }

    /// <summary>The architectures (CONFIG_ symbols without the prefix) whose link this series is tested on.</summary>
    public required IReadOnlyList<string> Architectures { get; init; }

    /// <summary>The options of this series' link the SDK does not reproduce: a kernel with one is refused before make.</summary>
    public required IReadOnlyList<RefusedOption> Refused { get; init; }

    /// <summary>The tree's scripts whose steps the SDK models itself, with the versions it knows.</summary>
    public required IReadOnlyList<KnownScript> Scripts { get; init; }

    /// <summary>"7.3".</summary>
    public string Name => $"{Version.Major}.{Version.Minor}";

    public override string ToString() => Name;

    /// <summary>The series this SDK links, oldest first.</summary>
    public static IReadOnlyList<KernelSeries> Supported => Known.Value;

    // Every descriptor is built lazily: series refer to each other and to shared lists, and the static initializers of a
    // partial type's files run in no set order.
    private static readonly Lazy<IReadOnlyList<KernelSeries>> Known = new(() => [Linux6_1, Linux6_12, Linux7_2, Linux7_3]);

    /// <summary>The series of a kernel release ("7.3.4" → 7.3), or null when this SDK has none for it.</summary>
    public static KernelSeries? TryFor(KernelVersion version) =>
        Supported.FirstOrDefault(s => s.Version.Major == version.Major && s.Version.Minor == version.Minor);

    /// <summary>The series of a kernel release, or <see cref="ErrorCodes.KallsymsVersionUnsupported"/>.</summary>
    public static KernelSeries For(KernelVersion version) =>
        TryFor(version) ?? throw new KbuildException(ErrorCodes.KallsymsVersionUnsupported, null,
            $"Linux {version.Major}.{version.Minor} is not a series this SDK links; supported: {SupportedNames}. " +
            "Set KernelVersion to one of them, or add a series descriptor (src/Kbuild.Tasks/Kernel/Series).");

    /// <summary>The series of a version string such as "6.1.192", "7.3" or "6.12.48+deb13-amd64".</summary>
    public static KernelSeries For(string version) => For(KernelVersion.Parse(version));

    /// <summary>"6.1, 6.12, 7.2, 7.3".</summary>
    public static string SupportedNames => string.Join(", ", Supported.Select(s => s.Name));

    /// <summary>Throws <see cref="ErrorCodes.KernelScriptUnknown"/> unless every script this series models is a known version.</summary>
    public void EnsureScriptsRecognised(string sourceDir)
    {
        foreach (var script in Scripts) script.EnsureRecognised(sourceDir, this);
    }

    /// <summary>The options every series refuses.</summary>
    private static readonly RefusedOption[] RefusedEverywhere =
    [
        new("CONFIG_LTO_CLANG_FULL",
            "links vmlinux.o made by full LTO; the final link compiles the bitcode .vmlinux.export.o and init/version-timestamp.o as one LTO module",
            "no test links a full-LTO kernel (ThinLTO, CONFIG_LTO_CLANG_THIN, is tested on 6.1 and 6.12)"),
        new("CONFIG_CPU_BIG_ENDIAN",
            "arm64: links a big-endian image (-EB), whose kallsyms table and .relr.dyn/.rela.dyn are big-endian",
            "no big-endian arm64 kernel is linked or booted by a test of ours"),
        new("CONFIG_BUILTIN_MODULE_RANGES",
            "after the link, builds modules.builtin.ranges from vmlinux.map and vmlinux.o.map",
            "our link does not rebuild modules.builtin.ranges from its vmlinux.map"),
    ];
}

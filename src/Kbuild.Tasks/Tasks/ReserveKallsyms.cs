using Kbuild.Diagnostics;
using Kbuild.Table;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 1 of the single link (target KbuildReserveKallsyms): the reservation for the table the link will need
/// (<see cref="KallsymsReserver"/>) — its .S, the object assembled from it with Cc, each array's room — from where
/// <see cref="From"/> says: <c>LinkInputs</c>, predicted from <see cref="Objects"/>, <see cref="Libraries"/> and
/// <see cref="LinkerScript"/> (the build); <c>LinkedImage</c>, exact for <see cref="LinkedImage"/>'s symbols (the relink
/// after an overflow). Each file appears only once it is whole.
/// </summary>
public sealed class ReserveKallsyms : KallsymsTask
{
    /// <summary><c>LinkInputs</c> or <c>LinkedImage</c>.</summary>
    [Required] public string From { get; set; } = "";

    /// <summary>From=LinkInputs: the link inputs and script the reservation is predicted from.</summary>
    public ITaskItem[] Objects { get; set; } = [];
    public ITaskItem[] Libraries { get; set; } = [];
    public string? LinkerScript { get; set; }

    /// <summary>From=LinkedImage: the image whose table outgrew its room (or a System.map, read for Bits and BigEndian).</summary>
    public string? LinkedImage { get; set; }

    /// <summary>The .S, the object assembled from it (the link's kallsyms object), and each array's room (for PatchKallsyms).</summary>
    [Required] public string OutputAssembly { get; set; } = "";
    [Required] public string ReservationObject { get; set; } = "";
    [Required] public string RoomsFile { get; set; } = "";

    public int SlackPercent { get; set; }
    public int SlackMinBytes { get; set; }

    /// <summary>The linker and its flags: an LLVM bitcode object (an LTO kernel's) is predicted from what
    /// <c>$(Ld) $(LdFlags) -r</c> makes of it (in obj/), and ld.lld makes hidden symbols local.</summary>
    public string? Ld { get; set; }
    public string? LdFlags { get; set; }
    /// <summary>The final link's own flags (LDFLAGS_vmlinux): with ld.lld, -shared or --pack-dyn-relocs=relr make sections
    /// the linker script places (arm64's .rela.dyn, .relr.dyn), whose type letters the prediction needs.</summary>
    public string? LdFlagsVmlinux { get; set; }

    public string Cc { get; set; } = "gcc";
    public string? AFlags { get; set; }

    /// <summary>From=LinkedImage with a System.map: 32 or 64 (the kernel's BITS_PER_LONG) and the byte order; an ELF brings its own.</summary>
    public int Bits { get; set; } = 64;
    public bool BigEndian { get; set; }

    /// <summary>Bytes reserved for the whole table.</summary>
    [Output] public int ReservedBytes { get; private set; }

    public const string FromLinkInputs = "LinkInputs", FromLinkedImage = "LinkedImage";

    protected override void Run()
    {
        var output = new KallsymsReserver.Output(OutputAssembly, ReservationObject, RoomsFile, Rules,
            new ReservationSlack(SlackPercent, SlackMinBytes), Cc, AFlags) { Tools = Tools, OnCacheIgnored = ReportIgnoredCache };
        var outcome = From switch
        {
            FromLinkInputs when Objects.Length > 0 => KallsymsReserver.FromLinkInputs(output,
                new KallsymsReserver.Link(Paths(Objects), Paths(Libraries), LinkerScript) { Linker = Ld, LinkerFlags = LdFlags, VmlinuxFlags = LdFlagsVmlinux }),
            FromLinkedImage when LinkedImage is { Length: > 0 } image => KallsymsReserver.Exact(output, image, MapTarget(Bits, BigEndian)),
            FromLinkInputs => throw Missing("From=LinkInputs needs Objects: the objects and archives the link takes"),
            FromLinkedImage => throw Missing("From=LinkedImage needs LinkedImage: the image whose table the reservation is made exact for"),
            _ => throw Missing($"From is '{From}': set it to {FromLinkInputs} (predicted from the link inputs) or {FromLinkedImage} (exact for a linked image)"),
        };
        foreach (var warning in outcome.Warnings) LogWarning(ErrorCodes.KallsymsNameTooLong, LinkedImage, warning);
        ReservedBytes = outcome.ReservedBytes;
        Log.LogMessage(MessageImportance.Normal, outcome.Description);
    }

    private static KbuildException Missing(string what) =>
        new(ErrorCodes.TaskParameterMissing, null, $"ReserveKallsyms: {what}.");

    private static List<string> Paths(ITaskItem[] items) => items.Select(i => i.ItemSpec).ToList();
}

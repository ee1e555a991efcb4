using Kbuild.Kallsyms;
using Kbuild.Linking;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>
/// Pass 1 of the single link: the kallsyms reservation object. From the link inputs and the linker script
/// (the superset of the final symbols), or, for the relink after an overflow, from a linked image's real
/// symbols. Writes OutputFile's .S beside it and assembles it with Cc; each array's room goes to RoomsFile.
/// </summary>
public sealed class ReserveKallsyms : KallsymsTask
{
    public ITaskItem[] Objects { get; set; } = [];
    public ITaskItem[] Libraries { get; set; } = [];
    public string? LinkerScript { get; set; }

    /// <summary>Reserve exactly for this linked image's symbols instead of the link inputs' superset.</summary>
    public string? FromImage { get; set; }

    public int SlackPercent { get; set; }
    public int SlackMinBytes { get; set; }
    public string Cc { get; set; } = "gcc";
    public string? AFlags { get; set; }

    /// <summary>The reservation object (the .S goes beside it).</summary>
    [Required] public string OutputFile { get; set; } = "";

    /// <summary>Each array's room, for PatchKallsyms (the image itself records no sizes, as the kernel's table).</summary>
    [Required] public string RoomsFile { get; set; } = "";

    /// <summary>Bytes reserved for the whole table.</summary>
    [Output] public int ReservedBytes { get; private set; }

    protected override void Run()
    {
        var slack = new ReservationSlack(SlackPercent, SlackMinBytes);
        var result = FromImage is { Length: > 0 }
            ? ReservationPass.FromImage(FromImage, Layout, Options, Filter, slack, Cc, AFlags, OutputFile, RoomsFile, Tools)
            : ReservationPass.FromInputs(Objects.Select(i => i.ItemSpec).ToList(), Libraries.Select(i => i.ItemSpec).ToList(),
                LinkerScript, Layout, Options, Filter, slack, Cc, AFlags, OutputFile, RoomsFile, Tools);
        ReservedBytes = result.ReservedBytes;
        Log.LogMessage(MessageImportance.High, result.Message);
    }
}

using Kbuild.IO;
using Microsoft.Build.Framework;

namespace Kbuild.Tasks;

/// <summary>Replaces <see cref="DestinationFile"/> with <see cref="SourceFile"/> by one rename(2): readers see the
/// old file or the new one, never none (MSBuild's Move deletes the destination first).</summary>
public sealed class PublishFile : KbuildTask
{
    [Required] public string SourceFile { get; set; } = "";
    [Required] public string DestinationFile { get; set; } = "";

    protected override void Run() => AtomicOutput.Commit(SourceFile, DestinationFile);
}

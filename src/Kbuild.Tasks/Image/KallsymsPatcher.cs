using Kbuild.IO;
using System.Buffers.Binary;
using Kbuild.Diagnostics;
using Kbuild.Elf;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Image;

/// <summary>Where one array of the real table goes in the linked image, and the room the reservation left it.</summary>
public sealed record ArrayRoom(KallsymsArray Array, ulong Address, long FileOffset, int Reserved)
{
    public bool Fits => Array.Size <= Reserved;
}

/// <summary>The real table matched against the rooms of a linked image.</summary>
public sealed record KallsymsPatchPlan(string ImagePath, KallsymsTable Table, IReadOnlyList<ArrayRoom> Rooms, ReservationSlack Slack)
{
    public bool Fits => Rooms.All(r => r.Fits);
    public int TableBytes => Rooms.Sum(r => r.Array.Size);
    public int ReservedBytes => Rooms.Sum(r => r.Reserved);

    /// <summary>Every array fills its room exactly: the image has the layout the kernel's make links.</summary>
    public bool IsExact => Rooms.All(r => r.Array.Size == r.Reserved);

    public string DescribeMismatch() =>
        string.Join(", ", Rooms.Where(r => r.Array.Size != r.Reserved).Select(r => $"{r.Array.SymbolName} {r.Array.Size} bytes, {r.Reserved} reserved"));

    public string Describe() =>
        $"kallsyms: {Table.Symbols.Count} symbols, table {TableBytes} of {ReservedBytes} reserved bytes (" +
        string.Join(", ", Rooms.Select(r => $"{r.Array.SymbolName} {r.Array.Size}/{r.Reserved}")) + ")";

    public string DescribeOverflow() =>
        string.Join(", ", Rooms.Where(r => !r.Fits).Select(r => $"{r.Array.SymbolName} needs {r.Array.Size} bytes, {r.Reserved} reserved"));
}

/// <summary>What the patch step is given: the linked image (patched in place, then renamed onto
/// <paramref name="Destination"/>, on the same file system), the kernel's rules, and the reservation's rooms.</summary>
public sealed record KallsymsPatchRequest(string Image, KallsymsRules Rules, ReservationRooms Rooms, string Destination)
{
    /// <summary>The flags the image was linked with: their --build-id says how to recompute the ID.</summary>
    public IReadOnlyList<string> LinkerFlags { get; init; } = [];

    /// <summary>A room that does not fit the real table — too small, or, without slack, not exactly its size — asks for a
    /// relink instead of failing (too small) or padding (larger).</summary>
    public bool MayRelink { get; init; }

    /// <summary>How the names are compressed (a build's are kept in obj/: <see cref="KallsymsReserver.CompressedNamesBeside"/>).</summary>
    public Func<byte[][], CompressedNames>? CompressNames { get; init; }
}

/// <summary>What the patch step did: the plan it patched by, or the relink it asks for (a warning's code and text), and
/// the table's warnings (names too long for kallsyms).</summary>
public sealed record KallsymsPatchOutcome(KallsymsPatchPlan Plan, IReadOnlyList<string> TableWarnings, string? RelinkCode = null, string? RelinkReason = null)
{
    public bool NeedsRelink => RelinkCode != null;

    /// <summary>When the table was patched into a larger room: the note that vmlinux lacks make's layout.</summary>
    public string? PaddingNote => !NeedsRelink && !Plan.IsExact
        ? $"kallsyms: the table is smaller than its room, padded with zeros ({Plan.DescribeMismatch()}); " +
          "vmlinux is correct but its layout is not the kernel's make's."
        : null;
}

/// <summary>
/// Writes the real kallsyms table into a vmlinux linked with a reservation: each array at the file offset
/// of its kallsyms_* symbol, the rest of its room zeroed; relocations that point into the table get the
/// addend that reproduces the patched value (x86 --emit-relocs keeps them in .rela.rodata and the boot
/// code or the relocs tool would otherwise restore the pass-1 value; -pie kernels such as arm64 apply .rela.dyn,
/// and .relr.dyn, whose entries hold no value: there the patched bytes in place are the value).
/// The result is decoded again and compared with the table before it replaces the output.
/// </summary>
public static class KallsymsPatcher
{
    /// <summary>
    /// Pass 2 of the single link, the whole step (target KbuildPublishVmlinux, task PatchKallsyms): the real table of the
    /// linked image (<see cref="KallsymsRules.TableOf(ElfImage, Func{byte[][], CompressedNames})"/>), its rooms
    /// (<see cref="Plan"/>), then — unless a relink is asked for (<see cref="KallsymsPatchRequest.MayRelink"/>) — the
    /// patch, verified by decoding it back, the build ID recomputed, renamed onto the destination (<see cref="Patch"/>).
    /// The image is left as linked when it is not patched (a relink reads its symbols).
    /// </summary>
    public static KallsymsPatchOutcome Run(KallsymsPatchRequest request)
    {
        KallsymsPatchPlan plan;
        BuildIdHash? buildId;
        IReadOnlyList<string> warnings;
        using (var image = ElfImage.Open(request.Image))
        {
            var table = request.Rules.TableOf(image, request.CompressNames);
            warnings = table.Warnings;
            plan = Plan(image, table, request.Rooms);
            buildId = BuildId.HashFromFlags(request.LinkerFlags, BuildId.LinkerOf(image));
        }

        if (request.MayRelink && !plan.Fits)
            return new KallsymsPatchOutcome(plan, warnings, ErrorCodes.KallsymsReservationOverflow,
                $"the kallsyms table outgrew its reservation ({plan.DescribeOverflow()}); relinking once with a reservation " +
                "sized from the real symbols. Raise KallsymsSlackPercent or KallsymsSlackMinBytes to avoid the extra link.");
        if (request.MayRelink && request.Rooms.Slack.IsNone && !plan.IsExact)
            return new KallsymsPatchOutcome(plan, warnings, ErrorCodes.KallsymsPredictionMissed,
                $"the predicted kallsyms table is not the real one ({plan.DescribeMismatch()}); relinking once with an exact " +
                "reservation so vmlinux has the kernel's own layout. Set KallsymsSlackPercent above 0 to pad instead of relinking.");
        Patch(plan, request.Destination, patched => KallsymsDecoder.Decode(patched, request.Rules.Options.AbsolutePercpu), buildId);
        return new KallsymsPatchOutcome(plan, warnings);
    }

    /// <summary>Finds each array's room: the address of its label in the image, the reserved size from the reservation's rooms.</summary>
    public static KallsymsPatchPlan Plan(ElfImage image, KallsymsTable table, ReservationRooms reservation)
    {
        var labels = KallsymsDecoder.Labels(image);
        var reservedSizes = reservation.Arrays.ToDictionary(a => a.SymbolName, a => a.Reserved);
        var rooms = new List<ArrayRoom>();
        foreach (var array in table.Arrays)
        {
            if (!labels.TryGetValue(array.SymbolName, out var label) || !reservedSizes.TryGetValue(array.SymbolName, out var reserved))
                throw new KbuildException(ErrorCodes.KallsymsReservationMissing, image.Path,
                    $"{array.SymbolName} is {(label.Name == null ? "not defined in the linked image" : "not in the reservation's rooms")}, " +
                    "so it was not linked with this kallsyms reservation object. Link it with the object KbuildReserveKallsyms " +
                    "writes (and check that the kernel version and kallsyms options match the reservation's).");
            if (reserved < 0 || label.Value + (ulong)reserved < label.Value)
                throw new KbuildException(ErrorCodes.KallsymsReservationMissing, image.Path,
                    $"{array.SymbolName} claims a room of {reserved} bytes at 0x{label.Value:x}, beyond what an image can hold: " +
                    "the image or the reservation's rooms file is damaged. Rebuild (dotnet build -t:Rebuild).");
            var offset = image.FileOffsetOf(label.Value);
            if (reserved > 0 && image.FileOffsetOf(label.Value + (ulong)reserved - 1) != offset + reserved - 1)
                throw new KbuildException(ErrorCodes.KallsymsReservationMissing, image.Path,
                    $"the room of {array.SymbolName} (0x{label.Value:x}, {reserved} bytes) is not contiguous in one section; " +
                    "the linker script must place .rodata of the kallsyms object in one output section.");
            image.ReadBytes(offset + reserved - 1, 1);  // the room's last byte is in the file (KB0004 if not): never write past it
            rooms.Add(new ArrayRoom(array, label.Value, offset, reserved));
        }
        return new KallsymsPatchPlan(image.Path, table, rooms, reservation.Slack);
    }

    /// <summary>
    /// Patches <paramref name="plan"/>'s image in place and renames it onto <paramref name="destination"/> only once
    /// the patched table decodes to the plan's symbols. With <paramref name="buildId"/>, the build ID is recomputed
    /// over the patched bytes as the linker would have computed it for them. The image is the linker's fresh output,
    /// not a copy (a debug kernel's is 700 MB): failing after the first write, it is left half patched under its own
    /// name, never at the destination.
    /// </summary>
    public static void Patch(KallsymsPatchPlan plan, string destination, Func<ElfImage, IReadOnlyList<NmSymbol>> decode,
        BuildIdHash? buildId = null)
    {
        if (!plan.Fits)
            throw new KbuildException(ErrorCodes.KallsymsReservationTooSmall, plan.ImagePath,
                $"the kallsyms table does not fit its reservation: {plan.DescribeOverflow()}. Relink with a larger reservation.");

        IReadOnlyList<(long FileOffset, long Value, bool Wide)> relocationFields;
        bool littleEndian;
        using (var linked = ElfImage.Open(plan.ImagePath))
        {
            littleEndian = linked.IsLittleEndian;
            relocationFields = RelocationFields(linked, plan);
        }

        var image = plan.ImagePath;
        using (var file = AtomicOutput.Writable(image, () => new FileStream(image, FileMode.Open, FileAccess.ReadWrite)))
        {
            foreach (var room in plan.Rooms)
            {
                var bytes = new byte[room.Reserved];
                room.Array.LinkedAt(room.Address, plan.Table.TextAddress, new ByteOrder(littleEndian)).CopyTo(bytes, 0);
                file.Position = room.FileOffset;
                file.Write(bytes);
            }
            foreach (var (fileOffset, value, wide) in relocationFields)
            {
                var field = new byte[wide ? 8 : 4];
                new ByteOrder(littleEndian).WritePointer(field, unchecked((ulong)value), wide);
                file.Position = fileOffset;
                file.Write(field);
            }
        }
        // The two cores: the table is decoded back while the build ID is hashed over the whole image (a debug
        // kernel's 700 MB); neither reads what the other writes (the ID's note is outside the table).
        var verifying = Task.Run(() => Verify(image, plan, decode));
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failed = null;
        try { if (buildId is { } hash) BuildId.Update(image, hash); }
        catch (Exception e) { failed = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
        verifying.GetAwaiter().GetResult();
        failed?.Throw();
        AtomicOutput.Commit(image, destination);
    }

    /// <summary>
    /// For every RELA entry whose target lies in a room: the file offset of its addend and the addend that makes the
    /// relocation give the patched slot ("symbol + addend" for a pointer, "symbol + addend - place" for 7.x's PC-relative
    /// offsets, so the addend is the kernel's "addr - _text" when the symbol is _text; the zeroed rest of a room gets
    /// what gives 0 there); and for a dynamic
    /// one the linker did not apply (its slot left zero: <c>--no-apply-dynamic-relocs</c>, arm64's choice without
    /// RELR), the slot again zero, as the linker leaves it. The fields are written after the rooms.
    /// </summary>
    private static List<(long, long, bool)> RelocationFields(ElfImage image, KallsymsPatchPlan plan)
    {
        var result = new List<(long, long, bool)>();
        var wide = image.Class == ElfClass.Elf64;
        var pointerSize = wide ? 8 : 4;
        var symtab = image.Sections.FirstOrDefault(s => s.Type == ElfSection.SHT_SYMTAB);
        Dictionary<int, ElfSymbol>? symbols = null;
        // Only relocations that apply to a section holding a room (.rela.rodata with --emit-relocs), or to the
        // whole image (.rela.dyn, sh_info 0): a kernel's .rela.text alone can be tens of megabytes.
        var tableSections = image.Sections
            .Where(s => s.IsAllocated && plan.Rooms.Any(r => r.Address >= s.Address && r.Address - s.Address < s.Size))
            .Select(s => (uint)s.Index).ToHashSet();
        var slots = plan.Rooms.ToDictionary(r => r, r => r.Array.TextRelocations.ToDictionary(t => t.Offset));
        foreach (var section in image.Sections.Where(s => s.Type == ElfSection.SHT_RELA && (s.Info == 0 || tableSections.Contains(s.Info))))
        {
            var relocations = image.ReadRelocations(section);
            for (var i = 0; i < relocations.Count; i++)
            {
                var r = relocations[i];
                var room = plan.Rooms.FirstOrDefault(x => r.Offset >= x.Address && r.Offset - x.Address < (ulong)x.Reserved);
                if (room == null) continue;

                ulong symbolValue = 0;
                if (r.SymbolIndex != 0)
                {
                    if (symtab == null || section.Link != symtab.Index)
                        throw new KbuildException(ErrorCodes.KallsymsRelocationUnsupported, image.Path,
                            $"relocation {i} of {section.Name} targets {room.Array.SymbolName} through a symbol table other than .symtab; " +
                            "the patcher cannot update it. Link without run-time symbol relocations on .rodata.");
                    symbols ??= image.ReadSymbols().ToDictionary(s => s.TableIndex);
                    if (!symbols.TryGetValue((int)Math.Min(r.SymbolIndex, int.MaxValue), out var symbol))
                        throw new KbuildException(ErrorCodes.KallsymsRelocationUnsupported, image.Path,
                            $"relocation {i} of {section.Name} names symbol {r.SymbolIndex}, which .symtab does not have: the image is damaged. Relink it.");
                    symbolValue = symbol.Value;
                }
                var position = (int)(r.Offset - room.Address);
                // What symbol + addend must be: the slot's target, or what leaves the zeroed rest of a room zero.
                var pcRelative = room.Array.RelocationKind == TextRelocationKind.PcRelative32;
                var value = slots[room].TryGetValue(position, out var slot) ? unchecked(plan.Table.TextAddress + (ulong)slot.Addend)
                    : pcRelative ? r.Offset
                    : position + pointerSize <= room.Array.Size ? image.ByteOrder.Pointer(room.Array.Bytes.AsSpan(position), wide)
                    : 0;
                var addendOffset = (long)section.Offset + i * (wide ? 24L : 12L) + (wide ? 16 : 8);
                var addend = unchecked((long)(value - symbolValue));
                if (!wide && addend is < int.MinValue or > int.MaxValue)
                    throw new KbuildException(ErrorCodes.KallsymsRelocationUnsupported, image.Path,
                        $"relocation {i} of {section.Name} would need the addend {addend}, which a 32-bit RELA entry cannot hold: the image is damaged. Relink it.");
                result.Add((addendOffset, addend, wide));
                if (section.Info == 0 && !pcRelative && r.Addend != 0 && position + pointerSize <= room.Reserved
                    && image.ByteOrder.Pointer(image.ReadBytes(room.FileOffset + position, pointerSize), wide) == 0)
                    result.Add((room.FileOffset + position, 0, wide));
            }
        }
        return result;
    }

    private static void Verify(string patchedPath, KallsymsPatchPlan plan, Func<ElfImage, IReadOnlyList<NmSymbol>> decode)
    {
        IReadOnlyList<NmSymbol> decoded;
        using (var patched = ElfImage.Open(patchedPath))
            decoded = decode(patched);
        if (KallsymsInspection.FirstDifference(decoded, plan.Table.Symbols) is { } difference)
            throw new KbuildException(ErrorCodes.KallsymsVerifyFailed, plan.ImagePath,
                $"the patched kallsyms table does not decode to the final symbols: {difference.Describe()}. " +
                "The output was not written; please report this with the image (the next build removes it).");
    }
}

using Kbuild.Kernel;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Kbuild.Diagnostics;
using Kbuild.Symbols;
using Kbuild.IO;

namespace Kbuild.Table;

/// <summary>Extra room per array: a percentage of the reservation table's size, and at least a number of bytes.</summary>
public readonly record struct ReservationSlack(int Percent, int MinimumBytes)
{
    public static ReservationSlack None => new(0, 0);

    /// <summary>No slack: the reservation is meant to be the final table's exact size (make's layout).</summary>
    public bool IsNone => Percent <= 0 && MinimumBytes <= 0;
}

/// <summary>
/// What the patcher needs to know of a reservation: each array's room and the slack it was made with. Kept in obj/
/// beside the reservation object, since the image holds the labels exactly as the kernel's table does (no sizes).
/// </summary>
public sealed record ReservationRooms(ReservationSlack Slack, IReadOnlyList<ReservedArray> Arrays)
{
    /// <summary>More than any table needs (a kernel with a million symbols takes tens of MB): a rooms file claiming more is damaged.</summary>
    private const int MaxRoom = 1 << 30;

    public int TotalReserved => Arrays.Sum(a => a.Reserved);

    // Written and read by hand, not with JsonSerializer: its reflection over these record structs cost every build
    // ≈ 200 JIT-compiled methods and Reflection.Emit on first use, which the ReadyToRun image cannot hold.
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject(nameof(Slack));
            json.WriteNumber(nameof(ReservationSlack.Percent), Slack.Percent);
            json.WriteNumber(nameof(ReservationSlack.MinimumBytes), Slack.MinimumBytes);
            json.WriteEndObject();
            json.WriteStartArray(nameof(Arrays));
            foreach (var array in Arrays)
            {
                json.WriteStartObject();
                json.WriteString(nameof(ReservedArray.SymbolName), array.SymbolName);
                json.WriteNumber(nameof(ReservedArray.Used), array.Used);
                json.WriteNumber(nameof(ReservedArray.Reserved), array.Reserved);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static ReservationRooms Read(string path)
    {
        string text;
        try { text = RegularFile.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KbuildException(ErrorCodes.KallsymsReservationMissing, path,
                $"cannot read the kallsyms reservation's rooms ({e.Message}); rebuild, so KbuildReserveKallsyms writes it again.", inner: e);
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var slack = root.GetProperty(nameof(Slack));
            var arrays = new List<ReservedArray>();
            foreach (var array in root.GetProperty(nameof(Arrays)).EnumerateArray())
                arrays.Add(new ReservedArray(array.GetProperty(nameof(ReservedArray.SymbolName)).GetString() ?? throw new FormatException("a null name"),
                    array.GetProperty(nameof(ReservedArray.Used)).GetInt32(), array.GetProperty(nameof(ReservedArray.Reserved)).GetInt32()));
            if (arrays.Count == 0) throw new FormatException("no arrays");
            foreach (var a in arrays)
                if (a.SymbolName.Length == 0 || a.Used < 0 || a.Used > a.Reserved || a.Reserved > MaxRoom)
                    throw new FormatException($"'{a.SymbolName}' has {a.Used} bytes used of {a.Reserved} reserved");
            if (arrays.Sum(a => (long)a.Reserved) > MaxRoom)
                throw new FormatException($"{arrays.Sum(a => (long)a.Reserved)} bytes reserved in all");
            return new ReservationRooms(new ReservationSlack(slack.GetProperty(nameof(ReservationSlack.Percent)).GetInt32(),
                slack.GetProperty(nameof(ReservationSlack.MinimumBytes)).GetInt32()), arrays);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new KbuildException(ErrorCodes.KallsymsReservationMissing, path,
                $"the kallsyms reservation's rooms file is not valid ({e.Message}); delete it and rebuild.", inner: e);
        }
    }
}

/// <summary>One array of a reservation: what the superset table needs and what is reserved for it.</summary>
public readonly record struct ReservedArray(string SymbolName, int Used, int Reserved);

/// <summary>
/// The pass-1 kallsyms table of the single link: a table for the superset of the final symbols (every
/// symbol defined by a link input plus every name the linker script assigns, at placeholder addresses),
/// each array padded with slack (none by default: then the room is the predicted table's exact size). Assembled
/// and linked once; the real table is patched into the room afterwards. Each array's reserved size is kept in
/// <see cref="Rooms"/> (a file beside the object), not in the image.
/// </summary>
public sealed class Reservation
{
    /// <summary>Arrays whose size does not depend on the symbols get no slack.</summary>
    private static readonly HashSet<KallsymsArrayKind> FixedSize =
        [KallsymsArrayKind.NumSyms, KallsymsArrayKind.RelativeBase, KallsymsArrayKind.TokenIndex];

    private Reservation(KallsymsTable table, ReservationSlack slack, IReadOnlyList<ReservedArray> arrays)
    {
        Table = table;
        Slack = slack;
        Arrays = arrays;
    }

    public ReservationSlack Slack { get; }

    /// <summary>The rooms, as the patcher reads them back.</summary>
    public ReservationRooms Rooms => new(Slack, Arrays);

    /// <summary>The table built from the superset (what the linked image holds until it is patched).</summary>
    public KallsymsTable Table { get; }

    /// <summary>Used and reserved bytes per array, in emission order.</summary>
    public IReadOnlyList<ReservedArray> Arrays { get; }

    public int TotalUsed => Arrays.Sum(a => a.Used);
    public int TotalReserved => Arrays.Sum(a => a.Reserved);

    /// <summary>
    /// Reserves room for the table of <paramref name="symbols"/> (addresses are placeholders: nothing is
    /// dropped for its address). The kallsyms_* labels themselves are added, since a kernel that keeps
    /// them (6.12 with all symbols) lists them in its final table.
    /// </summary>
    /// <param name="compressNames">How the names are compressed (a build keeps them: an exact prediction's names are the
    /// final table's, so the patch finds them instead of compressing again).</param>
    public static Reservation Create(IReadOnlyList<NmSymbol> symbols, KallsymsLayout layout, KallsymsOptions options,
        KallsymsTarget target, ReservationSlack slack, Func<byte[][], CompressedNames>? compressNames = null)
    {
        var known = symbols.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var labels = layout.ArraySymbolNames(options.BaseRelative).Where(name => !known.Contains(name))
            .Select(name => new NmSymbol(0, 'R', name));
        var table = KallsymsGenerator.Generate([.. symbols, .. labels], layout,
            options with { PlaceholderAddresses = true }, target, compressNames: compressNames);
        return FromTable(table, slack);
    }

    /// <summary>
    /// Reserves room for an exact table (the relink after an overflow: the final symbols are known).
    /// </summary>
    public static Reservation FromTable(KallsymsTable table, ReservationSlack slack) =>
        new(table, slack, table.Arrays.Select(a => new ReservedArray(a.SymbolName, a.Size, Reserve(a, slack))).ToList());

    private static int Reserve(KallsymsArray array, ReservationSlack slack)
    {
        if (FixedSize.Contains(array.Kind) || slack.IsNone) return array.Size;
        var extra = Math.Max((int)Math.Ceiling(array.Size * (slack.Percent / 100.0)), slack.MinimumBytes);
        return KallsymsTable.AlignUp(array.Size + extra, array.Alignment);
    }

    /// <summary>The reservation as assembler source: labels, pointer slots and room (see <see cref="KallsymsAssembly.WriteReservation"/>).</summary>
    public string ToAssembly() => KallsymsAssembly.ReservationToText(Table, ReservedSizes);

    /// <summary>Each array's room by label.</summary>
    public IReadOnlyDictionary<string, int> ReservedSizes => Arrays.ToDictionary(a => a.SymbolName, a => a.Reserved);

    /// <summary>"reserved 123456 bytes for 1234 symbols (table 100000 bytes): kallsyms_names 50000/60000, …"</summary>
    public string Describe() =>
        $"kallsyms reservation: {TotalReserved} bytes for up to {Table.Symbols.Count} symbols " +
        $"(the superset table uses {TotalUsed}); " +
        string.Join(", ", Arrays.Select(a => $"{a.SymbolName} {a.Used}/{a.Reserved}"));
}

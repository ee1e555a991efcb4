using System.Security.Cryptography;
using System.Text;
using Kbuild.Inputs;
using Kbuild.Elf;
using Kbuild.IO;
using Kbuild.Diagnostics;

namespace Kbuild.Symbols;

/// <summary>An input section as the prediction needs it.</summary>
internal sealed record InputSection(string Name, uint Type, ulong Flags, ulong Size, ulong Alignment = 1);

/// <summary>What the prediction reads of one link input object: its ELF class, machine, byte order, sections and symbol
/// table, and a digest of all that (two objects with the same digest predict the same).</summary>
internal sealed record InputObjectFacts(ElfClass Class, ushort Machine, bool IsLittleEndian, InputSection[] Sections, ElfSymbol[] Symbols,
    byte[] Digest)
{
    public static InputObjectFacts Read(LinkInputObject input)
    {
        using var image = input.Open();
        InputSection[] sections = [.. image.Sections.Select(s => new InputSection(s.Name, s.Type, s.Flags, s.Size, s.Alignment))];
        ElfSymbol[] symbols = [.. image.ReadSymbols()];
        // The digest covers exactly the bytes the cache file stores of the object.
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, Encoding.UTF8, leaveOpen: true))
            InputSymbolCache.WriteFacts(w, image.Class, image.Machine, image.IsLittleEndian, sections, symbols);
        return new InputObjectFacts(image.Class, image.Machine, image.IsLittleEndian, sections, symbols,
            SHA256.HashData(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)));
    }
}

/// <summary>
/// The sections and symbols of every link input object from the build before, in one file under obj/, so a relink
/// reads only the objects that changed (a thin archive names each member's own file: touching one source file
/// changes one entry). An entry is keyed by what identifies the object's content the way make decides it: the
/// file's full path, size and modification time (for a member of a regular archive: the archive's, and the
/// member's name and offset in it). A missing, stale or damaged cache file is ignored, never an error
/// (<see cref="CacheFile"/>); the file is rewritten (atomically) only when an entry changed, and then holds exactly this
/// link's objects.
/// </summary>
internal sealed class InputSymbolCache
{
    private const string Header = "kbuild-input-symbols-5";

    private readonly CacheFile? _file;
    private readonly Dictionary<string, InputObjectFacts> _previous;
    private readonly Dictionary<string, InputObjectFacts> _current = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private bool _changed;

    private InputSymbolCache(CacheFile? file, Dictionary<string, InputObjectFacts> previous)
    {
        _file = file;
        _previous = previous;
    }

    /// <summary>No cache: every object is read.</summary>
    public static InputSymbolCache None { get; } = new(null, []);

    /// <summary>Objects read this time (the rest came from the cache).</summary>
    public int Misses { get; private set; }

    public static InputSymbolCache Load(CacheFile? file)
    {
        if (file == null) return None;
        using var reader = file.Read(Header);
        if (reader == null) return new InputSymbolCache(file, []);
        try
        {
            return new InputSymbolCache(file, ReadEntries(reader));
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or InvalidDataException)
        {
            file.Ignore("an entry does not read as one");
            return new InputSymbolCache(file, []);
        }
    }

    /// <summary>The facts of <paramref name="input"/>: from the cache when its identity is unchanged, else read (thread-safe).</summary>
    public InputObjectFacts Get(LinkInputObject input)
    {
        var key = _file == null ? null : KeyOf(input);
        InputObjectFacts? facts = null;
        lock (_gate)
            if (key != null && (_current.TryGetValue(key, out var cached) || _previous.TryGetValue(key, out cached))) facts = cached;
        if (facts == null)
        {
            facts = InputObjectFacts.Read(input);
            lock (_gate) { Misses++; _changed = true; }
        }
        if (key != null)
            lock (_gate) _current[key] = facts;
        return facts;
    }

    /// <summary>
    /// The facts of every input in parallel (each from the cache when unchanged), in the inputs' order: the one reader of
    /// link inputs. The first input in link order that cannot be read is the error, whichever thread met its error first.
    /// </summary>
    public InputObjectFacts[] GetAll(IReadOnlyList<LinkInputObject> inputs)
    {
        var facts = new InputObjectFacts[inputs.Count];
        var errors = new KbuildException?[inputs.Count];
        Parallel.For(0, inputs.Count, i =>
        {
            try { facts[i] = Get(inputs[i]); }
            catch (KbuildException e) { errors[i] = e; }
        });
        if (Array.Find(errors, e => e != null) is { } first) throw first;
        return facts;
    }

    /// <summary>Writes the entries of this link when anything changed (objects read, or objects no longer linked).</summary>
    public void Save()
    {
        if (_file == null || !_changed && _current.Count == _previous.Count) return;
        _file.Write(Header, writer => WriteEntries(writer, _current));
    }

    /// <summary>What identifies the object's content (path, size, modification time); null when its file is gone.</summary>
    internal static string? KeyOf(LinkInputObject input)
    {
        var file = input.Member is { IsExternalFile: true } m ? m.FilePath : input.ArchivePath ?? input.Name;
        var info = new FileInfo(file);
        if (!info.Exists) return null;
        var identity = $"{info.FullName}\0{info.Length}\0{info.LastWriteTimeUtc.Ticks}";
        return input.Member is { IsExternalFile: false } member ? $"{identity}\0{member.Name}\0{member.DataOffset}" : identity;
    }

    private static void WriteEntries(BinaryWriter w, Dictionary<string, InputObjectFacts> entries)
    {
        w.Write(entries.Count);
        foreach (var (key, facts) in entries)
        {
            w.Write(key);
            WriteFacts(w, facts.Class, facts.Machine, facts.IsLittleEndian, facts.Sections, facts.Symbols);
            w.Write(facts.Digest);
        }
    }

    internal static void WriteFacts(BinaryWriter w, ElfClass elfClass, ushort machine, bool littleEndian, InputSection[] sections, ElfSymbol[] symbols)
    {
        w.Write((byte)elfClass); w.Write(machine); w.Write(littleEndian);
        w.Write(sections.Length);
        foreach (var s in sections) { w.Write(s.Name); w.Write(s.Type); w.Write(s.Flags); w.Write(s.Size); w.Write(s.Alignment); }
        w.Write(symbols.Length);
        foreach (var s in symbols)
        {
            w.Write(s.TableIndex); w.Write(s.Name); w.Write(s.Value); w.Write(s.Size);
            w.Write((byte)s.Type); w.Write((byte)s.Binding); w.Write(s.Visibility); w.Write(s.SectionIndex);
        }
    }

    private static Dictionary<string, InputObjectFacts> ReadEntries(BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException();
        var entries = new Dictionary<string, InputObjectFacts>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);  // section names repeat across objects
        for (var i = 0; i < count; i++)
        {
            var key = r.ReadString();
            var (elfClass, machine, littleEndian) = ((ElfClass)r.ReadByte(), r.ReadUInt16(), r.ReadBoolean());
            var sections = new InputSection[Count(r)];
            for (var j = 0; j < sections.Length; j++)
            {
                var name = r.ReadString();
                if (!names.TryGetValue(name, out var shared)) names[name] = shared = name;
                sections[j] = new InputSection(shared, r.ReadUInt32(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
            }
            var symbols = new ElfSymbol[Count(r)];
            for (var j = 0; j < symbols.Length; j++)
                symbols[j] = new ElfSymbol(r.ReadInt32(), r.ReadString(), r.ReadUInt64(), r.ReadUInt64(),
                    (ElfSymbolType)r.ReadByte(), (ElfSymbolBinding)r.ReadByte(), r.ReadByte(), r.ReadUInt32());
            entries[key] = new InputObjectFacts(elfClass, machine, littleEndian, sections, symbols, r.ReadBytes(DigestSize));
        }
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException();
        return entries;
    }

    private const int DigestSize = 32;

    private static int Count(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > 1 << 26) throw new InvalidDataException();
        return n;
    }
}

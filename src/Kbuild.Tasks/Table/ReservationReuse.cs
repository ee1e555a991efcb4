using Kbuild.Kernel;
using System.Security.Cryptography;
using System.Text;
using Kbuild.Symbols;
using Kbuild.IO;
using Kbuild.Diagnostics;

namespace Kbuild.Table;

/// <summary>
/// Keeps the previous build's reservation object when the new one would be the same: a relink after touching one
/// source file nearly always predicts the same symbols, and then generating (and compressing) the table and
/// assembling it again would only rewrite identical bytes. The key is a hash of everything the object and its
/// rooms follow from — the predicted symbols (address, type, name, in order), the table layout, the options, the
/// target, the slack, the assembler and its flags, and this task assembly's build — kept in a file beside the
/// object, written last (after the object and the rooms, with their hashes) and removed first, so a build interrupted
/// in between leaves no key that vouches for a half-written reservation, and a damaged object or rooms file is made
/// again instead of linked. Being written last, it is also the step's stamp: an object or rooms file newer than it
/// was changed after the step (Sdk.targets reruns the step, which then finds them changed).
/// </summary>
public static class ReservationReuse
{
    public static string KeyPath(string objectFile) => KallsymsReserver.Files.KeyOf(objectFile);

    public static string KeyOf(IReadOnlyList<NmSymbol> symbols, KallsymsLayout layout, KallsymsOptions options,
        KallsymsTarget target, ReservationSlack slack, string cc, string? aflags)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text));
        Add($"{typeof(ReservationReuse).Assembly.ManifestModule.ModuleVersionId}\n{layout.Description}\n{options}\n{target}\n{slack}\n{cc}\n{aflags}\n");
        var line = new StringBuilder();
        foreach (var s in symbols)
        {
            line.Clear().Append(s.Address.ToString("x")).Append(' ').Append(s.Type).Append(' ').Append(s.Name).Append('\n');
            Add(line.ToString());
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// The rooms of the previous reservation when its key is <paramref name="key"/> and its object and rooms are still the
    /// bytes it wrote (the three are then touched, the key last, so the build's up-to-date checks see them as made now);
    /// else null. An object or rooms file changed since (damaged, edited) is made again, and <paramref name="report"/> is
    /// told so, as of a damaged key file.
    /// </summary>
    public static ReservationRooms? TryReuse(string objectFile, string roomsFile, string key, Action<string>? report = null)
    {
        var keyFile = new CacheFile(KeyPath(objectFile), report);
        if (ReadKey(keyFile) is not { } remembered || remembered.Key != key) return null;
        try
        {
            if ((HashOf(objectFile) != remembered.Object ? objectFile : HashOf(roomsFile) != remembered.Rooms ? roomsFile : null) is { } changed)
            {
                report?.Invoke($"{changed} changed since the reservation wrote it: ignored; this build makes the reservation again.");
                return null;
            }
            var rooms = ReservationRooms.Read(roomsFile);
            var now = DateTime.UtcNow;
            foreach (var file in new[] { objectFile, roomsFile, keyFile.Path }) File.SetLastWriteTimeUtc(file, now);
            return rooms;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KbuildException)
        {
            return null;
        }
    }

    /// <summary>Before the object or the rooms are rewritten: no key may vouch for them until <see cref="Remember"/>.</summary>
    public static void Forget(string objectFile) => AtomicOutput.DeleteIfExists(KeyPath(objectFile));

    /// <summary>Written last, once the object and the rooms are: the key they were made from and their bytes' hashes. Without
    /// <paramref name="key"/> (an exact reservation, made from a linked image) the file still vouches for them, and no
    /// prediction's key is its.</summary>
    public static void Remember(string objectFile, string roomsFile, string? key)
    {
        string objectHash, roomsHash;
        try { (objectHash, roomsHash) = (HashOf(objectFile), HashOf(roomsFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }  // the next build makes them again
        new CacheFile(KeyPath(objectFile)).Write(Header, w => { w.Write(key ?? ExactKey); w.Write(objectHash); w.Write(roomsHash); });
    }

    private const string Header = "kbuild-reservation-key-2", ExactKey = "exact";

    private static (string Key, string Object, string Rooms)? ReadKey(CacheFile keyFile)
    {
        using var r = keyFile.Read(Header);
        if (r == null) return null;
        try
        {
            return (r.ReadString(), r.ReadString(), r.ReadString());
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            keyFile.Ignore("it does not hold a key and two hashes");
            return null;
        }
    }

    private static string HashOf(string file) => Convert.ToHexString(SHA256.HashData(RegularFile.ReadAllBytes(file)));
}

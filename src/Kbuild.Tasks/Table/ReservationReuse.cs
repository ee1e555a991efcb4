using Kbuild.Kernel;
using System.Security.Cryptography;
using System.Text;
using Kbuild.Symbols;
using Kbuild.IO;

namespace Kbuild.Table;

/// <summary>
/// Keeps the previous build's reservation object when the new one would be the same: a relink after touching one
/// source file nearly always predicts the same symbols, and then generating (and compressing) the table and
/// assembling it again would only rewrite identical bytes. The key is a hash of everything the object and its
/// rooms follow from — the predicted symbols (address, type, name, in order), the table layout, the options, the
/// target, the slack, the assembler and its flags, and this task assembly's build — kept in a file beside the
/// object, written last (after the object and the rooms) and removed first, so a build interrupted in between
/// leaves no key that vouches for a half-written reservation.
/// </summary>
public static class ReservationReuse
{
    public static string KeyPath(string objectFile) => objectFile + ".key";

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
    /// The rooms of the previous reservation when its key is <paramref name="key"/> and its object and rooms are
    /// still there (both are then touched, so the build's up-to-date checks see them as made now); else null.
    /// </summary>
    public static ReservationRooms? TryReuse(string objectFile, string roomsFile, string key)
    {
        try
        {
            if (!File.Exists(objectFile) || !File.Exists(roomsFile) || !File.Exists(KeyPath(objectFile))
                || File.ReadAllText(KeyPath(objectFile)).Trim() != key)
                return null;
            var rooms = ReservationRooms.Read(roomsFile);
            var now = DateTime.UtcNow;
            File.SetLastWriteTimeUtc(objectFile, now);
            File.SetLastWriteTimeUtc(roomsFile, now);
            return rooms;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Diagnostics.KbuildException)
        {
            return null;
        }
    }

    /// <summary>Before the object or the rooms are rewritten: no key may vouch for them until <see cref="Remember"/>.</summary>
    public static void Forget(string objectFile) => AtomicOutput.DeleteIfExists(KeyPath(objectFile));

    public static void Remember(string objectFile, string key) => AtomicOutput.WriteAllText(KeyPath(objectFile), key);
}

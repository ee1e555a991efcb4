using System.Globalization;
using Kbuild.Diagnostics;

namespace Kbuild.Kernel;

/// <summary>A kernel release "major.minor[.patch]" (extra suffixes such as "-amd64" or "+deb12" are ignored).</summary>
public readonly record struct KernelVersion(int Major, int Minor, int Patch = 0) : IComparable<KernelVersion>
{
    public static bool TryParse(string? text, out KernelVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var core = text.Trim();
        var end = 0;
        while (end < core.Length && (char.IsAsciiDigit(core[end]) || core[end] == '.')) end++;
        var parts = core[..end].Split('.');
        if (parts.Length is < 2 or > 3 || end < core.Length && core[end] is not ('-' or '+' or '~')) return false;
        var numbers = new int[3];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i])) return false;
        version = new KernelVersion(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    /// <summary>Parses or throws <see cref="ErrorCodes.KernelVersionInvalid"/>.</summary>
    public static KernelVersion Parse(string? text) =>
        TryParse(text, out var version)
            ? version
            : throw new KbuildException(ErrorCodes.KernelVersionInvalid, null,
                $"'{text}' is not a kernel version; write it as major.minor[.patch], e.g. 6.1 or 6.12.48.");

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}

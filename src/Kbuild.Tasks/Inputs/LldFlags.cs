namespace Kbuild.Inputs;

/// <summary>
/// Makes the kernel's linker flags acceptable to ld.lld. The kernel picks flags for the LD it was configured
/// with (<c>$(call ld-option,…)</c>), so a tree built with GNU ld hands over flags that ld.lld rejects as
/// unknown. Those are GNU ld's own warning switches, which change no byte of the output: they are dropped,
/// and the caller reports which.
/// </summary>
public static class LldFlags
{
    /// <summary>GNU ld switches ld.lld refuses (checked against ld.lld-16 and binutils 2.40 by the tests).</summary>
    public static IReadOnlyList<string> GnuLdOnly { get; } =
        ["--no-warn-rwx-segments", "--warn-rwx-segments", "--no-warn-execstack"];

    /// <summary>Whether <paramref name="linker"/> (a command or path) names ld.lld, versioned (ld.lld-16) or not.</summary>
    public static bool IsLld(string linker)
    {
        var name = Path.GetFileName(linker);
        return name.StartsWith("ld.lld", StringComparison.Ordinal) || name.StartsWith("lld", StringComparison.Ordinal)
            || name.EndsWith("-ld.lld", StringComparison.Ordinal);
    }

    /// <summary>The flags without those ld.lld rejects, in order, and the dropped ones.</summary>
    public static (IReadOnlyList<string> Kept, IReadOnlyList<string> Dropped) ForLld(IReadOnlyList<string> flags)
    {
        var kept = new List<string>(flags.Count);
        var dropped = new List<string>();
        foreach (var flag in flags) (GnuLdOnly.Contains(flag) ? dropped : kept).Add(flag);
        return (kept, dropped);
    }
}

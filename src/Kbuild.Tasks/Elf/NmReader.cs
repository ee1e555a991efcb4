namespace Kbuild.Elf;

// API CONTRACT (stub): the Elf helper implements these.

/// <summary>What GNU nm prints for an ELF: type letters as binutils decodes them, in `nm -n` order.</summary>
public static class NmReader
{
    /// <summary>Equivalent of `LC_ALL=C nm -n file` (undefined first, then by address, ties by name).</summary>
    public static IReadOnlyList<NmSymbol> ReadSorted(ElfImage image) => throw new NotImplementedException();
}

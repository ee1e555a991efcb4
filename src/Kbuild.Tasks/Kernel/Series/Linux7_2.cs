namespace Kbuild.Kernel;

public sealed partial record KernelSeries
{
    /// <summary>Linux 7.2, as in Debian linux-source-7.2 (7.2.13): 7.3's link without the labels' ".size" and without the
    /// third kallsyms pass for a changed symbol set of the same size.</summary>
    public static KernelSeries Linux7_2 => LazyLinux7_2.Value;

    private static readonly Lazy<KernelSeries> LazyLinux7_2 = new(() => Linux7_3 with
    {
        Version = new(7, 2),
        Description = "7.2 (as in Debian linux-source-7.2 7.2.13)",
        Kallsyms = Linux7_3.Kallsyms with
        {
            Description = "7.2 (as in Debian linux-source-7.2 7.2.13)",
            SizedArrays = new HashSet<KallsymsArrayKind>(),
        },
        Scripts = Scripts7x(kallsyms: "ceb7db954524537f", linkVmlinux: "81c0945f4ce91c05"),
    });
}

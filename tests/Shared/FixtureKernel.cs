using Kbuild.Table;

namespace Kbuild.Tests;

/// <summary>The scripts/kallsyms switches link-vmlinux.sh derived from a fixture kernel's .config.</summary>
internal static class FixtureKernel
{
    public static KallsymsOptions KallsymsOptions(string buildDir)
    {
        var config = File.ReadAllLines(Path.Combine(buildDir, ".config")).ToHashSet();
        return new KallsymsOptions
        {
            AllSymbols = config.Contains("CONFIG_KALLSYMS_ALL=y"),
            AbsolutePercpu = config.Contains("CONFIG_KALLSYMS_ABSOLUTE_PERCPU=y"),
            BaseRelative = config.Contains("CONFIG_KALLSYMS_BASE_RELATIVE=y"),
            LtoClang = config.Contains("CONFIG_LTO_CLANG=y"),
        };
    }
}

using System.Text;
using System.Text.RegularExpressions;
using Kbuild.Elf;
using Kbuild.Kernel;

namespace Kbuild.Symbols;

/// <summary>
/// The lines the kernel's scripts/mksysmap deletes from `nm -n vmlinux`: a series' patterns
/// (<see cref="KernelSeries.SystemMapPatterns"/>, the script's own, verbatim) as one regular expression matched against
/// the whole nm line, exactly as grep -v / sed /.../d apply them.
/// </summary>
public sealed partial class SystemMapFilter
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<KernelSeries, SystemMapFilter> BySeries = new();

    /// <summary>The filter of a series (made once per series).</summary>
    public static SystemMapFilter For(KernelSeries series) =>
        BySeries.GetOrAdd(series, s => new SystemMapFilter(s.Name, s.SystemMapPatterns, Precompiled(s.SystemMapPatterns)));

    /// <summary>The filter for a kernel version such as "6.1.192", "6.12" or "6.12.48-amd64" (by major.minor).</summary>
    public static SystemMapFilter ForKernel(string kernelVersion) => For(KernelSeries.For(kernelVersion));

    // The known series' patterns translated at build time (no start-up cost for compiling a regex); a test checks each
    // equals the translation of the patterns it stands for, and other patterns are compiled at run time.
    private static Regex? Precompiled(IReadOnlyList<string> patterns) => ToNetPattern(patterns) switch
    {
        var p when p == Linux6_1Deleted().ToString() => Linux6_1Deleted(),
        var p when p == Linux6_12Deleted().ToString() => Linux6_12Deleted(),
        var p when p == Linux7Deleted().ToString() => Linux7Deleted(),
        _ => null,
    };

    /// <summary>The precompiled expressions, for the test that checks them against the series' patterns.</summary>
    internal static IReadOnlyList<Regex> PrecompiledExpressions => [Linux6_1Deleted(), Linux6_12Deleted(), Linux7Deleted()];

    [GeneratedRegex(@"(?:\ [aNUw]\ )|(?:\ \$)|(?:\ \.L)|(?:\ __crc_)|(?:\ __kstrtab_)|(?:\ __kstrtabns_)|(?:\ L0\z)", RegexOptions.CultureInvariant)]
    private static partial Regex Linux6_1Deleted();

    [GeneratedRegex(@"(?:\ [aNUw]\ )|(?:\ \$)|(?:\ \.L)|(?:\ __efistub_)|(?:\ __pi_\$)|(?:\ __pi_\.L)|(?:\ __kvm_nvhe_\$)|(?:\ __kvm_nvhe_\.L)|(?:\ __[a-zA-Z0-9]*Thunk_)|(?:\ __kcfi_typeid_)|(?:\ __kvm_nvhe___kcfi_typeid_)|(?:\ __pi___kcfi_typeid_)|(?:\ __crc_)|(?:\ __kstrtab_)|(?:\ __kstrtabns_)|(?:_from_arm\z)|(?:_from_thumb\z)|(?:_veneer\z)|(?:\ L0\z)|(?:\ _SDA_BASE_\z)|(?:\ _SDA2_BASE_\z)|(?:\.long_branch\.)|(?:\.plt_branch\.)", RegexOptions.CultureInvariant)]
    private static partial Regex Linux6_12Deleted();

    [GeneratedRegex(@"(?:\ [aNUw]\ )|(?:\ \$)|(?:\ \.L)|(?:\ __efistub_)|(?:\ __pi_\$)|(?:\ __pi_\.L)|(?:\ __kvm_nvhe_\$)|(?:\ __kvm_nvhe_\.L)|(?:\ __[a-zA-Z0-9]*Thunk_)|(?:\ __kcfi_typeid_)|(?:\ __kvm_nvhe___kcfi_typeid_)|(?:\ __pi___kcfi_typeid_)|(?:\ __crc_)|(?:\ __kstrtab_)|(?:\ __kstrtabns_)|(?:\ __mod_device_table__)|(?:_from_arm\z)|(?:_from_thumb\z)|(?:_veneer\z)|(?:\ L0\z)|(?:\ _SDA_BASE_\z)|(?:\ _SDA2_BASE_\z)|(?:\ __UNIQUE_ID_modinfo_[0-9]*\z)|(?:\.long_branch\.)|(?:\.plt_branch\.)", RegexOptions.CultureInvariant)]
    private static partial Regex Linux7Deleted();

    private readonly Regex _deleted;

    /// <summary>A filter from the patterns of a kernel's scripts/mksysmap; <paramref name="translated"/> is the
    /// build-time form of <see cref="ToNetPattern"/> for built-in filters (compiled at run time when omitted).</summary>
    public SystemMapFilter(string seriesName, IReadOnlyList<string> deletedLinePatterns, Regex? translated = null)
    {
        SeriesName = seriesName;
        DeletedLinePatterns = deletedLinePatterns;
        _deleted = translated ?? new Regex(ToNetPattern(deletedLinePatterns), RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    /// <summary>The .NET regular expression deleting what any of the patterns deletes.</summary>
    public static string ToNetPattern(IEnumerable<string> deletedLinePatterns) =>
        string.Join('|', deletedLinePatterns.Select(p => "(?:" + PosixBasicToNet(p) + ")"));

    /// <summary>The .NET pattern this filter matches lines with.</summary>
    public string NetPattern => _deleted.ToString();

    /// <summary>"6.1", "6.12": the major.minor this filter is for.</summary>
    public string SeriesName { get; }

    /// <summary>The script's patterns (POSIX BRE); a line matching any of them is left out of System.map.</summary>
    public IReadOnlyList<string> DeletedLinePatterns { get; }

    /// <summary>Whether System.map keeps this nm line (without its newline).</summary>
    public bool Keeps(ReadOnlySpan<char> nmLine) => !_deleted.IsMatch(nmLine);

    /// <summary>The symbols System.map lists for a linked image, in its order: where every kallsyms table starts.</summary>
    public IReadOnlyList<NmSymbol> Symbols(ElfImage image)
    {
        var kept = new List<NmSymbol>();
        ForEachKeptLine(NmReader.ReadSorted(image), NmFormat.AddressDigits(image.Class), (symbol, _) => kept.Add(symbol));
        return kept;
    }

    public delegate void LineAction(NmSymbol symbol, ReadOnlySpan<char> line);

    /// <summary>Each of the <c>nm -n</c> ordered symbols System.map keeps, with its line.</summary>
    public void ForEachKeptLine(IReadOnlyList<NmSymbol> sorted, int digits, LineAction keep)
    {
        var buffer = new char[256];
        foreach (var symbol in sorted)
        {
            int length = NmFormat.LineLength(symbol, digits);
            if (length > buffer.Length) buffer = new char[length * 2];
            var line = buffer.AsSpan(0, NmFormat.FormatLine(symbol, digits, buffer));
            if (Keeps(line)) keep(symbol, line);
        }
    }


    /// <summary>Translates the subset of POSIX basic regular expressions the mksysmap scripts use (literals,
    /// backslash escapes, bracket expressions with [:class:], '*', '.', '^' and '$' anchors) to .NET syntax.</summary>
    internal static string PosixBasicToNet(string pattern)
    {
        var net = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\' when i + 1 < pattern.Length && !char.IsAsciiDigit(pattern[i + 1]) && pattern[i + 1] is not ('(' or ')' or '{' or '}'):
                    net.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '\\':
                    throw new ArgumentException($"unsupported construct in basic regular expression '{pattern}' at {i}");
                case '[':
                    int end = BracketEnd(pattern, i);
                    net.Append(pattern[i..(end + 1)]
                        .Replace("[:alnum:]", "a-zA-Z0-9").Replace("[:alpha:]", "a-zA-Z").Replace("[:digit:]", "0-9")
                        .Replace("[:upper:]", "A-Z").Replace("[:lower:]", "a-z").Replace("[:space:]", @" \t\n\r\f\v")
                        .Replace(@"\", @"\\"));
                    i = end;
                    break;
                case '*' when i > 0:
                    net.Append('*');
                    break;
                case '.':
                    net.Append('.');
                    break;
                case '^' when i == 0:
                    net.Append('^');
                    break;
                case '$' when i == pattern.Length - 1:
                    net.Append(@"\z");
                    break;
                default:
                    net.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return net.ToString();
    }

    private static int BracketEnd(string pattern, int open)
    {
        int i = open + 1;
        if (i < pattern.Length && pattern[i] == '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                i = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal) + 1;
            else if (pattern[i] == ']')
                return i;
        }
        throw new ArgumentException($"unterminated bracket expression in basic regular expression '{pattern}'");
    }
}

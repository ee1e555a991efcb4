using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Tests;

/// <summary>A temporary directory where a test builds its inputs with the real toolchain (as, gcc, ld, ar).</summary>
public sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = TestTemp.Directory("kbuild-elf-");
    }

    public string Root { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    public string Write(string name, string text)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Assembles <paramref name="source"/> into name (an object file) with `as` (or another assembler).</summary>
    public string Assemble(string name, string source, string assembler = "as", params string[] flags)
    {
        var input = Write(name + ".s", source);
        var output = PathOf(name);
        Tool.RunChecked(assembler, [.. flags, "-o", output, input], Root);
        return output;
    }

    /// <summary>Compiles C source into an object file with gcc -c.</summary>
    public string Compile(string name, string source, params string[] flags)
    {
        var input = Write(name + ".c", source);
        var output = PathOf(name);
        Tool.RunChecked("gcc", ["-c", .. flags, "-o", output, input], Root);
        return output;
    }

    public string Run(string tool, params string[] args) => Tool.RunChecked(tool, args, Root);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Compares our nm emulation with the real `LC_ALL=C nm -n`.</summary>
public static class NmOracle
{
    public static string Ours(string path)
    {
        using var image = ElfImage.Open(path);
        return Format(NmReader.ReadSorted(image), image.Class);
    }

    /// <summary>nm -n of every object behind link inputs (archives expanded as the link reads them), in nm's layout for
    /// an archive: a blank line and "member:" before each member's symbols.</summary>
    public static string OursForArchive(string path)
    {
        var ours = new System.Text.StringBuilder();
        foreach (var o in Kbuild.Inputs.LinkInputs.Expand([path]))
        {
            using var image = o.Open();
            ours.Append('\n').Append(o.Name).Append(":\n").Append(Format(NmReader.ReadSorted(image), image.Class));
        }
        return ours.ToString();
    }

    public static string Format(IEnumerable<NmSymbol> symbols, ElfClass elfClass)
    {
        using var output = new MemoryStream();
        NmFormat.Write(output, symbols, NmFormat.AddressDigits(elfClass));
        return System.Text.Encoding.Latin1.GetString(output.ToArray());
    }

    /// <summary>nm's output, read as Latin-1 so non-ASCII names compare byte for byte.</summary>
    public static string Nm(params string[] args)
    {
        var output = System.IO.Path.GetTempFileName();
        try
        {
            Tool.RunChecked("bash", ["-c", "out=$1; shift; nm \"$@\" > \"$out\"", "nm", output, .. args]);
            return System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    public static void AssertSameAsNm(string path)
    {
        var expected = Nm("-n", path);
        Assert.IsFalse(string.IsNullOrEmpty(expected), $"nm listed no symbols for {path}");
        var actual = Ours(path);
        if (expected != actual) Assert.Fail($"differs from nm -n {path}: {FirstDifference(expected, actual)}");
    }

    public static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var al = i < a.Length ? a[i] : "<end>";
            if (el != al) return $"line {i + 1}: nm: '{el}' ours: '{al}' ({e.Length} vs {a.Length} lines)";
        }
        return "";
    }
}

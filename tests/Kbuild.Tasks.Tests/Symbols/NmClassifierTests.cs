using Kbuild.Elf;
using Kbuild.Symbols;

namespace Kbuild.Tests.Symbols;

/// <summary>
/// nm's type letter for each kind of symbol, from NmClassifier itself against GNU nm on the same object and on the
/// executable linked from it: every section kind, weak definitions and references (functions and objects), commons,
/// absolute symbols, locals and globals.
/// </summary>
[TestClass]
public sealed class NmClassifierTests
{
    private const string Source = """
            .text
            .globl g_text
        g_text: ret
        l_text: ret
            .weak w_func
            .type w_func, @function
        w_func: ret
            .section .rodata,"a"
            .globl g_rodata
        g_rodata: .long 1
            .data
        l_data: .long 2
            .weak w_object
            .type w_object, @object
        w_object: .long 3
            .section .init.data,"aw"
            .globl g_init
        g_init: .long 4
            .bss
            .globl g_bss
        g_bss: .zero 4
            .comm g_common, 8, 8
            .weak w_ref
            .weak w_objref
            .type w_objref, @object
            .globl g_abs
            .set g_abs, 0x42
            .set l_abs, 0x43
            .section .text
            call undefined_ref
            .quad w_ref, w_objref
        """;

    private static Dictionary<string, char> Ours(string path)
    {
        using var image = ElfImage.Open(path);
        var classifier = new NmClassifier(image);
        return image.ReadSymbols().Where(s => NmClassifier.IsListed(s) && s.Name.Length > 0)
            .ToDictionary(s => s.Name, s => classifier.TypeOf(s));
    }

    private static Dictionary<string, char> Nm(string path) =>
        Tool.RunChecked("nm", [path]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' ')).Where(p => p.Length >= 2)
            .ToDictionary(p => p[^1], p => p[^2][0]);

    [TestMethod]
    public void EveryLetterIsNms_InTheObjectAndTheExecutable()
    {
        using var tree = new TempTree();
        tree.Assemble("kinds.o", Source, "as");
        tree.Run("ld", "-o", "kinds", "--unresolved-symbols=ignore-all", "-e", "g_text", "kinds.o");
        foreach (var file in new[] { "kinds.o", "kinds" })
        {
            var (ours, nm) = (Ours(tree.PathOf(file)), Nm(tree.PathOf(file)));
            foreach (var (name, letter) in nm)
                Assert.AreEqual(letter, ours.GetValueOrDefault(name), $"{file}: {name}");
            Assert.AreEqual(nm.Count, ours.Count, $"{file}: {string.Join(' ', ours.Keys.Except(nm.Keys))}");
        }
    }
}

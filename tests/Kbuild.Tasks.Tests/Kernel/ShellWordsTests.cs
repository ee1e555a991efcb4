using Kbuild.Kernel;

namespace Kbuild.Tests.Kernel;

/// <summary>The two splits against bash itself: a command line's words, and the fields of an unquoted expansion.</summary>
[TestClass]
public sealed class ShellWordsTests
{
    private const string Text = "-m elf_x86_64  --defsym='a b=1' \"-Map=x y.map\" c\\ d\t-e \"q\\\"uote\"";

    [TestMethod]
    public void CommandLine_ReadsQuotesAndEscapesLikeTheShell()
    {
        var shell = Tool.RunChecked("bash", ["-c", $"printf '%s\\n' {Text}"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(shell, ShellWords.CommandLine(Text).ToArray());
    }

    [TestMethod]
    public void UnquotedExpansion_SplitsFieldsLikeTheShell_QuotesStayCharacters()
    {
        var shell = Tool.Run("bash", ["-c", "printf '%s\\n' ${T}"], environment: new Dictionary<string, string> { ["T"] = Text + "\n-f" })
            .StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(shell, ShellWords.UnquotedExpansion(Text + "\n-f"));
        CollectionAssert.AreEqual(new[] { "--defsym='a", "b=1'" }, ShellWords.UnquotedExpansion("--defsym='a b=1'"), "a quote groups nothing");
    }

    [TestMethod]
    public void BlankTextHasNoWords()
    {
        Assert.AreEqual(0, ShellWords.CommandLine(null).Count);
        Assert.AreEqual(0, ShellWords.CommandLine(" \t\n").Count);
        Assert.AreEqual(0, ShellWords.UnquotedExpansion(null).Length);
    }
}

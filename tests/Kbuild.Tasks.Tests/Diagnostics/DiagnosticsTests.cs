using Kbuild.Diagnostics;

namespace Kbuild.Tests.Diagnostics;

[TestClass]
public sealed class DiagnosticsTests
{
    [TestMethod]
    public void ExceptionFormatsAsCanonicalError()
    {
        var e = new KbuildException("KB0001", "/x/vmlinux.a", "not an ELF file", line: 3);
        Assert.AreEqual("/x/vmlinux.a(3): error KB0001: not an ELF file", e.ToString());
    }
}

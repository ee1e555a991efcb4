using System.Text.RegularExpressions;
using Kbuild.Table;

namespace Kbuild.Tests.Table;

/// <summary>
/// The reservation's files in obj/ are named in one place, KallsymsReserver.Files; Sdk.targets, which cannot call into the
/// task assembly, lists the same names where it cleans (KbuildClean) and where the lock removes a damaged build's files
/// (KbuildLock's BuildFiles): a cache added to the reservation and forgotten there fails here.
/// </summary>
[TestClass]
public sealed class ReservationFilesTests
{
    private static string Target(string name)
    {
        var targets = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk", "Sdk", "Sdk.targets"));
        var match = Regex.Match(targets, $"<Target Name=\"{name}\".*?</Target>", RegexOptions.Singleline);
        Assert.IsTrue(match.Success, name);
        return match.Value;
    }

    [TestMethod]
    [DataRow("KbuildClean")]
    [DataRow("KbuildLock")]
    public void SdkTargetsNamesEveryCache(string target)
    {
        var text = Target(target);
        foreach (var cache in KallsymsReserver.Files.Caches)
            StringAssert.Contains(text, $"$(KbuildIntermediateDirectory){cache}", $"{target} does not name obj/{cache}");
        StringAssert.Contains(text, KallsymsReserver.Files.KeyOf("$(KallsymsReservationObject)"), $"{target} does not name the key file");
    }

    [TestMethod]
    public void CleanRemovesTheStandIns() =>
        StringAssert.Contains(Target("KbuildClean"), $"$(KbuildIntermediateDirectory){KallsymsReserver.Files.BitcodeStandIns}");

    [TestMethod]
    public void TheCachesLieBesideTheReservationObject()
    {
        var obj = Path.Combine(TestTemp.Directory("reservation-files-"), "obj");
        Assert.AreEqual(Path.Combine(obj, "kallsyms.names.cache"),
            KallsymsReserver.Files.Beside(Path.Combine(obj, "kallsyms.reserve.json"), KallsymsReserver.Files.CompressedNames));
    }
}

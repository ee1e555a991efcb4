using Kbuild.Kernel;
using System.Collections;
using Kbuild.Diagnostics;
using Kbuild.Tasks;
using Microsoft.Build.Framework;
using Kbuild.Symbols;

namespace Kbuild.Tests.Tasks;

[TestClass]
public sealed class GenerateKallsymsTaskTests
{
    private static (GenerateKallsyms Task, RecordingBuildEngine Engine, string Output) NewTask(string map, string version = "6.12.48")
    {
        var engine = new RecordingBuildEngine();
        var output = Path.Combine(Path.GetDirectoryName(map)!, "out", "kallsyms.S");
        return (new GenerateKallsyms { BuildEngine = engine, Input = map, KernelVersion = version, OutputAssembly = output, AllSymbols = true },
            engine, output);
    }

    private static string Dir() => TestTemp.Directory("kallsyms-task-");

    [TestMethod]
    public void WritesTheSameAssemblyAsThePlainClasses()
    {
        var map = SyntheticMap.Kernel(seed: 5, functions: 300).Write(Dir());
        var (task, engine, output) = NewTask(map);
        Assert.IsTrue(task.Execute(), string.Join('\n', engine.Errors.Select(e => e.Message)));
        var table = Kbuild.Table.KallsymsGenerator.Generate(Kbuild.Symbols.SystemMap.Read(map),
            KernelSeries.For("6.12").Kallsyms, new Kbuild.Table.KallsymsOptions { AllSymbols = true },
            Kbuild.Table.KallsymsTarget.X86_64);
        Assert.AreEqual(Kbuild.Table.KallsymsAssembly.ToText(table), File.ReadAllText(output));
        Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp").Length);
    }

    /// <summary>The fixture vmlinux as input gives the table the kernel built from its System.map.</summary>
    [TestMethod]
    [DataRow("6.1", "6.1.192")]
    [DataRow("6.12", "6.12.48")]
    public void LinkedElfInputGivesTheSameTableAsItsSystemMap(string series, string version)
    {
        var build = KernelFixtures.BuildDir(series, "A");
        var dir = Dir();
        var options = FixtureKernel.KallsymsOptions(build);
        var engine = new RecordingBuildEngine();
        var output = Path.Combine(dir, "kallsyms.S");
        var task = new GenerateKallsyms
        {
            BuildEngine = engine, Input = Path.Combine(build, "vmlinux"), KernelVersion = version, OutputAssembly = output,
            AllSymbols = options.AllSymbols, BaseRelative = options.BaseRelative, AbsolutePercpu = options.AbsolutePercpu,
        };
        Assert.IsTrue(task.Execute(), string.Join('\n', engine.Errors.Select(e => e.Message)));
        var fromMap = Kbuild.Table.KallsymsGenerator.Generate(Kbuild.Symbols.SystemMap.Read(Path.Combine(build, "System.map")),
            KernelSeries.For(version).Kallsyms, options, Kbuild.Table.KallsymsTarget.X86_64);
        Assert.AreEqual(Kbuild.Table.KallsymsAssembly.ToText(fromMap), File.ReadAllText(output));
    }

    [TestMethod]
    public void BadMapLineIsAnErrorWithLineNumberAndNoOutput()
    {
        var dir = Dir();
        var map = Path.Combine(dir, "System.map");
        File.WriteAllText(map, "ffffffff81000000 T _text\nffffffff81000010 T\nffffffff81000020 T ok\n");
        var (task, engine, output) = NewTask(map);
        Assert.IsFalse(task.Execute());
        Assert.AreEqual(ErrorCodes.SystemMapLineInvalid, engine.Errors.Single().Code);
        Assert.AreEqual(2, engine.Errors.Single().LineNumber);
        Assert.AreEqual(map, engine.Errors.Single().File);
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(output)) && Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(output)!).Any());
    }

    [TestMethod]
    public void UnknownKernelVersionNamesTheSupportedOnes()
    {
        var map = SyntheticMap.Kernel(seed: 5, functions: 10).Write(Dir());
        var (task, engine, output) = NewTask(map, "5.15.0");
        Assert.IsFalse(task.Execute());
        Assert.AreEqual(ErrorCodes.KallsymsVersionUnsupported, engine.Errors.Single().Code);
        StringAssert.Contains(engine.Errors.Single().Message, "6.1");
        StringAssert.Contains(engine.Errors.Single().Message, "6.12");
        Assert.IsFalse(File.Exists(output));
    }

    [TestMethod]
    public void RelativeOverflowLeavesAnEarlierOutputUntouched()
    {
        var dir = Dir();
        var map = new SyntheticMap(1).Add(0x1000, 'T', "_stext").Add(0x1_0000_2000, 'T', "far").Write(dir);
        var (task, engine, output) = NewTask(map);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, "previous");
        Assert.IsFalse(task.Execute());
        Assert.AreEqual(ErrorCodes.KallsymsRelativeOverflow, engine.Errors.Single().Code);
        Assert.AreEqual("previous", File.ReadAllText(output));
    }

    [TestMethod]
    public void OverLongNamesAreWarnings()
    {
        var map = SyntheticMap.Kernel(seed: 5, functions: 20, longNames: 15).Write(Dir());
        var (task, engine, _) = NewTask(map);
        Assert.IsTrue(task.Execute());
        // scripts/kallsyms' read_symbol warns once per name of KSYM_NAME_LEN (512) bytes or more.
        Assert.AreEqual(SystemMap.Read(map).Count(s => s.Name.Length >= 512), engine.Warnings.Count);
        Assert.IsTrue(engine.Warnings.All(w => w.Code == ErrorCodes.KallsymsNameTooLong));
    }
}

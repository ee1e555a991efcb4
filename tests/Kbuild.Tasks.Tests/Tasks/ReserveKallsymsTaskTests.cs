using Kbuild.Diagnostics;
using Kbuild.Tasks;
using Microsoft.Build.Utilities;

namespace Kbuild.Tests.Tasks;

/// <summary>ReserveKallsyms' job is said by From; what From needs and was not given is KB0506, and nothing is written.</summary>
[TestClass]
public sealed class ReserveKallsymsTaskTests
{
    [TestMethod]
    [DataRow("LinkedImage", false, "LinkedImage")]
    [DataRow("LinkInputs", false, "Objects")]
    [DataRow("Predicted", true, "LinkInputs")]
    public void WhatFromNeedsAndIsMissingIsKB0506(string from, bool withObjects, string named)
    {
        var dir = TestTemp.Directory("reserve-task-");
        var engine = new RecordingBuildEngine();
        var task = new ReserveKallsyms
        {
            BuildEngine = engine, From = from, KernelVersion = "6.12",
            Objects = withObjects ? [new TaskItem(Path.Combine(dir, "head.o"))] : [],
            OutputAssembly = Path.Combine(dir, "kallsyms.reserve.S"), ReservationObject = Path.Combine(dir, "kallsyms.reserve.o"),
            RoomsFile = Path.Combine(dir, "kallsyms.reserve.json"),
        };
        Assert.IsFalse(task.Execute());
        Assert.AreEqual(ErrorCodes.TaskParameterMissing, engine.Errors.Single().Code);
        StringAssert.Contains(engine.Errors.Single().Message, named);
        Assert.AreEqual(0, Directory.GetFileSystemEntries(dir).Length, "nothing written");
    }
}

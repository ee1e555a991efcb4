using System.Text.RegularExpressions;
using System.Xml.Linq;
using Kbuild.Tests;
using Microsoft.Build.Evaluation;
using Kbuild.Table;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The habits of microsoft/MSBuildSdks: Custom{Before,After}KbuildSdk{Props,Targets} imports, the
/// UsingKbuildSdk marker, and defaults a project can override (every derived property guarded or private).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SdkAffordanceTests
{
    private static string SdkDir => Path.Combine(RepoPaths.Root, "src", "Kbuild.Sdk", "Sdk");

    [TestMethod]
    public void CustomImports_RunInOrder_AndSeeTheSdksProperties()
    {
        var dir = Directory.CreateTempSubdirectory("kbuild-hooks-").FullName;
        try
        {
            // Each hook appends its name to a trace, and records what it saw of the SDK at that point.
            void Hook(string name, string body) => File.WriteAllText(Path.Combine(dir, name + ".props"), $"""
                <Project>
                  <PropertyGroup><Trace>$(Trace);{name}</Trace>{body}</PropertyGroup>
                </Project>
                """);
            Hook("BeforeProps", "<KernelVersion>6.1</KernelVersion><SeenUsing>$(UsingKbuildSdk)</SeenUsing>");
            Hook("AfterProps", "<SeenSlack>$(KallsymsSlackPercent)</SeenSlack>");
            Hook("BeforeTargets", "<VmlinuxLinkedPath>$(MSBuildProjectDirectory)/elsewhere/vmlinux.o</VmlinuxLinkedPath>");
            Hook("AfterTargets", "<SeenReservation>$(KallsymsReservationObject)</SeenReservation>");
            var project = Path.Combine(dir, "kernel.kproj");
            File.WriteAllText(project, $"""
                <Project>
                  <PropertyGroup>
                    <CustomBeforeKbuildSdkProps>{dir}/BeforeProps.props</CustomBeforeKbuildSdkProps>
                    <CustomAfterKbuildSdkProps>{dir}/AfterProps.props</CustomAfterKbuildSdkProps>
                    <CustomBeforeKbuildSdkTargets>{dir}/BeforeTargets.props</CustomBeforeKbuildSdkTargets>
                    <CustomAfterKbuildSdkTargets>{dir}/AfterTargets.props</CustomAfterKbuildSdkTargets>
                  </PropertyGroup>
                  <Import Project="{SdkDir}/Sdk.props" />
                  <PropertyGroup><Trace>$(Trace);Body</Trace></PropertyGroup>
                  <Import Project="{SdkDir}/Sdk.targets" />
                </Project>
                """);

            using var collection = new ProjectCollection();
            var evaluated = collection.LoadProject(project);

            Assert.AreEqual(";BeforeProps;AfterProps;Body;BeforeTargets;AfterTargets", evaluated.GetPropertyValue("Trace"));
            Assert.AreEqual("true", evaluated.GetPropertyValue("UsingKbuildSdk"));
            Assert.AreEqual("true", evaluated.GetPropertyValue("SeenUsing"), "the marker is set before the first hook");
            Assert.AreEqual("6.1", evaluated.GetPropertyValue("KernelVersion"), "a value set before Sdk.props wins over its default");
            Assert.AreEqual("0", evaluated.GetPropertyValue("SeenSlack"), "CustomAfterKbuildSdkProps sees the defaults");
            Assert.AreEqual(Path.Combine(dir, "elsewhere", "vmlinux.o"), evaluated.GetPropertyValue("VmlinuxLinkedPath"),
                "a derived path set before Sdk.targets wins over its default");
            Assert.AreEqual(Path.Combine(dir, "obj", "kallsyms.reserve.o"), evaluated.GetPropertyValue("SeenReservation"),
                "CustomAfterKbuildSdkTargets sees the derived paths");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Audit of Sdk/*.props and Sdk/*.targets: a property set outside a target is either guarded (its own or its
    /// group's Condition), private (_X), appended to ($(X) in its own value, the *DependsOn lists), or the marker.
    /// </summary>
    [TestMethod]
    public void EveryPropertyOutsideTargets_IsGuardedPrivateOrAppended()
    {
        var offenders = new List<string>();
        foreach (var file in Directory.GetFiles(SdkDir).Where(f => f.EndsWith(".props") || f.EndsWith(".targets")))
        {
            var groups = XDocument.Load(file).Root!.Elements("PropertyGroup");
            foreach (var property in groups.SelectMany(g => g.Elements()))
            {
                var name = property.Name.LocalName;
                var guarded = property.Attribute("Condition") != null || property.Parent!.Attribute("Condition") != null;
                var appended = Regex.IsMatch(property.Value, $@"\$\({Regex.Escape(name)}\)");
                if (!guarded && !appended && !name.StartsWith('_') && name != "UsingKbuildSdk")
                    offenders.Add($"{Path.GetFileName(file)}: {name}");
            }
        }
        Assert.IsEmpty(offenders, "unguarded public properties:\n" + string.Join('\n', offenders));
    }
}

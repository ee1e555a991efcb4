using Kbuild.Inputs;
using Kbuild.Symbols;

namespace Kbuild.Tests;

/// <summary>Link inputs read the way a build reads them: through the prediction (<see cref="LinkPrediction.Predict"/>,
/// which GenerateKallsyms calls), the one reader of link inputs, with an empty script.</summary>
public static class LinkInputReader
{
    public static void Read(params string[] inputs) => LinkPrediction.Predict(inputs, [], LinkerScriptLayout.Parse(""), [], []);
}

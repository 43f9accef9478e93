using Cluster.Engine.Model;
using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

public sealed class ModelLoadProgressTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "load-progress-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class Recorder : IProgress<ModelLoadProgress>
    {
        public List<ModelLoadProgress> Reports { get; } = [];

        public void Report(ModelLoadProgress value) => Reports.Add(value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_ReportsEveryPartInOrder_TheLastIsDoneWithTheExpectedBytes(bool untied)
    {
        var config = ModelPresets.Get("tiny") with { TieWordEmbeddings = !untied };
        SyntheticModelWriter.Write(_dir, config, ScalarType.Float32, 1);
        var recorder = new Recorder();
        using var model = LlamaModel.Load(_dir, Device.CPU, ScalarType.Float32, progress: recorder);

        Assert.Equal(Enumerable.Range(1, config.NumLayers + 2), recorder.Reports.Select(r => r.Parts));
        Assert.All(recorder.Reports, r => Assert.Equal(config.NumLayers + 2, r.TotalParts));
        Assert.True(recorder.Reports.Zip(recorder.Reports.Skip(1)).All(p => p.First.Bytes < p.Second.Bytes || p.Second.Done));
        var last = recorder.Reports[^1];
        Assert.True(last.Done);
        Assert.Equal(model.Weights.Bytes, last.Bytes);
        Assert.Equal(last.Bytes, last.TotalBytes);
    }
}

using Cluster.Engine.Model;
using Cluster.Torch;

namespace Cluster.Engine.Generation;

/// <summary>
/// One decode step of a single sequence: writes the token and its position into fixed input tensors and
/// runs the model. On CUDA, after one eager step, the forward is captured into a CUDA graph and replayed
/// (no per-op launch cost); if capture fails the steps stay eager.
/// </summary>
internal sealed class DecodeStep : IDisposable
{
    private readonly LlamaModel _model;
    private readonly ContiguousKvCache _cache;
    private readonly Tensor _token;      // [1, 1] int64
    private readonly Tensor _position;   // [1, 1] int64
    private bool _useGraph;
    private int _eagerSteps;
    private CudaGraph? _graph;
    private Tensor? _graphLogits;        // [1, 1, vocab], rewritten by every replay

    public DecodeStep(LlamaModel model, ContiguousKvCache cache, bool useGraph)
    {
        _model = model;
        _cache = cache;
        _useGraph = useGraph && model.Device.IsCuda;
        _token = torch.zeros([1, 1], torch.int64, model.Device).DetachFromDisposeScope();
        _position = torch.zeros([1, 1], torch.int64, model.Device).DetachFromDisposeScope();
    }

    /// <summary>Logits [vocab] for <paramref name="token"/> at <paramref name="position"/>; valid until the next call.</summary>
    public Tensor Run(int token, int position)
    {
        _token.fill_(token);
        _position.fill_(position);
        if (_useGraph && _graph is null && _eagerSteps > 0) TryCapture();
        if (_graph is not null)
        {
            _graph.Replay();
            return _graphLogits!.view(-1);
        }
        _eagerSteps++;
        return _model.Forward(_token, _position, _cache, freshPrefill: false, lastOnly: true).view(-1);
    }

    private void TryCapture()
    {
        var graph = new CudaGraph();
        try
        {
            graph.CaptureBegin(_model.Device.Index);
            try
            {
                _graphLogits = _model.Forward(_token, _position, _cache, freshPrefill: false, lastOnly: true).DetachFromDisposeScope();
            }
            finally
            {
                graph.CaptureEnd();
            }
            _graph = graph;
        }
        catch (TorchException)
        {
            _graphLogits?.Dispose();
            _graphLogits = null;
            graph.Dispose();
            _useGraph = false;
        }
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _graphLogits?.Dispose();
        _token.Dispose();
        _position.Dispose();
    }
}

using Cluster.ClusterState;
using Cluster.Router.Routing;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Coordination;

/// <summary>What every request's state machine (<see cref="RequestRun"/>) shares.</summary>
internal sealed record CoordinatorServices(
    WorkerPool Pool,
    WorkerClients Clients,
    IPrefixIndex Index,
    AdmissionQueue Admission,
    IDecodeAdmission DecodeAdmission,
    IPrefillPolicy PrefillPolicy,
    IDecodePolicy DecodePolicy,
    IDisaggregationPolicy Disaggregation,
    RoutingOptions Options,
    TimeProvider Time,
    CoordinatorInstruments Instruments,
    ILogger Logger,
    RequestInstruments RequestInstruments,
    PrefixIndexHealth IndexHealth);

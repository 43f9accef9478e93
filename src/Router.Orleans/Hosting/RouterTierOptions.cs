namespace Cluster.Router.Orleans.Hosting;

/// <summary>
/// Section <c>RouterTier</c>: the Orleans silo each router process hosts (ARCHITECTURE §6, "Router tier"). Clustering is
/// Redis (the <c>ClusterState</c> Redis, password included) whenever <c>ClusterState:RedisConnectionString</c> is set,
/// else localhost (this router alone).
/// </summary>
public sealed class RouterTierOptions
{
    public const string SectionName = "RouterTier";
    public const string DefaultClusterId = "cluster-routers";
    public static readonly TimeSpan DefaultAdmissionLease = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultAdmissionPushback = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultLoadRefreshInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan DefaultMembershipWriteTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMembershipCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>False: no silo; the router counts only its own work (the behaviour before issue 14).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; set; }

    /// <summary>Orleans client gateway port; 0 picks a free one.</summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// The address other silos reach this one at. Default 127.0.0.1: every router on one machine. Routers on several
    /// machines need the host's own address here, and the silo port open between them only (no client should reach it).
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Orleans' Kubernetes hosting next to Redis membership (<see cref="Hosting.KubernetesHosting"/>): Auto (default) turns
    /// it on when POD_NAME, POD_NAMESPACE and POD_IP are set and Redis clustering is configured; On fails start-up
    /// without them; Off never.
    /// </summary>
    public KubernetesHostingMode KubernetesHosting { get; set; } = KubernetesHostingMode.Auto;

    /// <summary>Routers with the same id and Redis form one cluster.</summary>
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>How long a worker admission lives without a renewal from its router (renewed every third of it).</summary>
    public TimeSpan AdmissionLease { get; set; } = DefaultAdmissionLease;

    /// <summary>
    /// The router host's shutdown timeout with a silo. Past it the silo stops without the membership goodbye (which needs
    /// Redis: with Redis gone a graceful stop would wait out Redis timeouts) and the others detect its death.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>
    /// Redis clustering: once the router is stopping, how long the silo retries one write to the membership table before
    /// giving up (Orleans' <c>MaxJoinAttemptTime</c>, lowered at the stop only: <see cref="MembershipStopBound"/>). With
    /// Redis gone a stop makes two such writes, so it ends within about twice this after <see cref="ShutdownTimeout"/>.
    /// </summary>
    public TimeSpan MembershipWriteTimeout { get; set; } = DefaultMembershipWriteTimeout;

    /// <summary>How long a request refused by a worker grain waits before the router tries again (unless work ends sooner).</summary>
    public TimeSpan AdmissionPushback { get; set; } = DefaultAdmissionPushback;

    /// <summary>
    /// How often this router re-reads every other router's admitted work per decode worker from the worker grains (in the
    /// background, one call per worker, which also reports this router's prefills in flight there): the policies add it to
    /// the load they see, with no grain call per decision.
    /// </summary>
    public TimeSpan LoadRefreshInterval { get; set; } = DefaultLoadRefreshInterval;

    /// <summary>
    /// Redis clustering: how often the router reads the membership table to find it lost (Redis came back empty) and
    /// re-create it with the silos this one knows alive (<see cref="MembershipTableRestorer"/>); one read per interval.
    /// </summary>
    public TimeSpan MembershipCheckInterval { get; set; } = DefaultMembershipCheckInterval;
}

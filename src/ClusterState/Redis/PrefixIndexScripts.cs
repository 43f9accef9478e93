namespace Cluster.ClusterState.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisPrefixIndex"/>. Each runs atomically in Redis. Block keys are built inside the
/// scripts from a block-key prefix, so they address one Redis node (not Redis Cluster; see README.md).
/// </summary>
internal static class PrefixIndexScripts
{
    /// <summary>Lua: forget every block of worker ARGV[2] (wrk set KEYS[2], block-key prefix ARGV[1]).</summary>
    private const string ClearWorker = """
        local function clear_worker(wrk, blk, w)
          for _, h in ipairs(redis.call('SMEMBERS', wrk)) do
            redis.call('SREM', blk .. h, w)
          end
          redis.call('DEL', wrk)
        end
        """;

    /// <summary>
    /// KEYS[1] = seq key, KEYS[2] = wrk set; ARGV[1] = block-key prefix, ARGV[2] = worker, ARGV[3] = first seq,
    /// ARGV[4] = last seq, then per event: 'S' n h1..hn (stored) | 'R' n h1..hn (removed) | 'C' 0 (all cleared).
    /// Returns {1, last} when applied, {0, last applied} on a gap (nothing written).
    /// </summary>
    public static readonly RedisScript Apply = new("index.apply", ClearWorker + """

        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[3]) ~= last + 1 then
          return {0, last}
        end
        local blk, w = ARGV[1], ARGV[2]
        local i = 5
        while i <= #ARGV do
          local op, n = ARGV[i], tonumber(ARGV[i + 1])
          i = i + 2
          if op == 'S' then
            for j = i, i + n - 1 do
              redis.call('SADD', blk .. ARGV[j], w)
              redis.call('SADD', KEYS[2], ARGV[j])
            end
          elseif op == 'R' then
            for j = i, i + n - 1 do
              redis.call('SREM', blk .. ARGV[j], w)
              redis.call('SREM', KEYS[2], ARGV[j])
            end
          else
            clear_worker(KEYS[2], blk, w)
          end
          i = i + n
        end
        redis.call('SET', KEYS[1], ARGV[4])
        return {1, tonumber(ARGV[4])}
        """);

    /// <summary>KEYS[1] = seq key, KEYS[2] = wrk set; ARGV[1] = block-key prefix, ARGV[2] = worker, ARGV[3] = last seq,
    /// ARGV[4..] = hashes. Replaces the worker's block set; returns 1.</summary>
    public static readonly RedisScript ReplaceAll = new("index.replace_all", ClearWorker + """

        local blk, w = ARGV[1], ARGV[2]
        clear_worker(KEYS[2], blk, w)
        for j = 4, #ARGV do
          redis.call('SADD', blk .. ARGV[j], w)
          redis.call('SADD', KEYS[2], ARGV[j])
        end
        redis.call('SET', KEYS[1], ARGV[3])
        return 1
        """);

    /// <summary>KEYS[1] = seq key, KEYS[2] = wrk set; ARGV[1] = block-key prefix, ARGV[2] = worker. Returns 1.</summary>
    public static readonly RedisScript RemoveWorker = new("index.remove_worker", ClearWorker + """

        clear_worker(KEYS[2], ARGV[1], ARGV[2])
        redis.call('DEL', KEYS[1])
        return 1
        """);

    /// <summary>
    /// KEYS[1] = block key of the prompt's first block; ARGV[1] = blk-key prefix, ARGV[2] = wrk-key prefix,
    /// ARGV[3..] = the prompt's block hashes (x16) in order. Returns {worker1, n1, worker2, n2, …}: per worker holding
    /// the first block, how many leading blocks it holds.
    /// While more than two candidates remain: SINTER over a run of block keys (8, doubling while nobody drops out)
    /// gives the candidates holding the whole run; only those that drop out are resolved block by block (SMISMEMBER)
    /// inside the run. With two or fewer left, each survivor's own wrk set is asked for the rest of the prompt in
    /// growing chunks (8, 16, … 1000). Both turn a long shared prefix into a few calls instead of one per block.
    /// </summary>
    public static readonly RedisScript FindOverlap = new("index.find_overlap", """
        local blk, wrk = ARGV[1], ARGV[2]
        local n = #ARGV - 2
        local alive = redis.call('SMEMBERS', KEYS[1])
        local counts = {}
        for _, w in ipairs(alive) do counts[w] = 1 end
        local i, step = 2, 8
        while #alive > 2 and i <= n do
          local to = math.min(i + step - 1, n)
          local keys = {}
          for j = i, to do keys[#keys + 1] = blk .. ARGV[j + 2] end
          local holdsAll = {}
          for _, w in ipairs(redis.call('SINTER', unpack(keys))) do holdsAll[w] = true end
          local full, partial = {}, {}
          for _, w in ipairs(alive) do
            if holdsAll[w] then full[#full + 1] = w else partial[#partial + 1] = w end
          end
          local j = i
          while #partial > 0 do
            local present = redis.call('SMISMEMBER', keys[j - i + 1], unpack(partial))
            local still = {}
            for x, w in ipairs(partial) do
              if present[x] == 1 then
                counts[w] = j
                still[#still + 1] = w
              end
            end
            partial = still
            j = j + 1
          end
          for _, w in ipairs(full) do counts[w] = to end
          step = (#full == #alive) and math.min(step * 2, 256) or 8
          alive = full
          i = to + 1
        end
        for _, w in ipairs(alive) do
          local from, size, missed = i, 8, false
          while not missed and from <= n do
            local to = math.min(from + size - 1, n)
            local present = redis.call('SMISMEMBER', wrk .. w, unpack(ARGV, from + 2, to + 2))
            for j = 1, #present do
              if present[j] == 1 then
                counts[w] = from + j - 1
              else
                missed = true
                break
              end
            end
            from = to + 1
            size = math.min(size * 2, 1000)
          end
        end
        local out = {}
        for w, c in pairs(counts) do
          out[#out + 1] = w
          out[#out + 1] = c
        end
        return out
        """);
}

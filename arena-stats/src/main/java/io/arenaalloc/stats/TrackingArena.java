package io.arenaalloc.stats;

import io.arenaalloc.core.SystemProperties;
import io.arenaalloc.core.OffHeapArena;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A leak-tracking decorator of an {@link OffHeapArena}: it keeps the allocation stack trace of a sample of blocks
 * and, when the arena is closed with live blocks, logs how many there are and where the sampled ones were
 * allocated. Off by default ({@link Level#DISABLED}); levels as in Netty's leak detector.
 *
 * <p>Why a decorator: recording a stack trace needs a hook on every allocation; arena-core has none (it only
 * logs a count on close), and adding one would cost the hot path a branch for everybody. So allocations that
 * must be tracked go through this class; {@link #arena()} gives the arena for everything else (resolve, pin,
 * compact, stats). Blocks allocated directly on the arena are counted on close but have no trace.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>level</b>: {@link Level#DISABLED} (nothing recorded, no cost but one branch), {@link Level#SAMPLE} (one
 *   allocation in {@code sampleInterval} records a trace), {@link Level#PARANOID} (every allocation does).</li>
 *   <li><b>record</b>: key (address of a fixed block, or handle of a movable one) -&gt; (requested size, trace).</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   TrackingArena
 *    |-- arena                     the decorated OffHeapArena (owner thread only, as the arena)
 *    |-- records: Long2ObjectHashMap&lt;Record&gt;   primitive long keys: a free does no boxing
 *    `-- untilSample               countdown to the next sampled allocation
 * </pre>
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Allocate: delegate; if the level is not DISABLED, count down; at 0 (always, for PARANOID) record
 *   {@code new Throwable()} under the returned address or handle and restart the countdown.</li>
 *   <li>Free: delegate (so a bad free throws before anything changes here); remove the record if any.</li>
 *   <li>Reallocate: delegate; move the record to the new address when the block moved.</li>
 *   <li>Close: if blocks are live, build the report (count and bytes from the arena; records grouped by equal
 *   stack, largest group first, at most {@code maxReported} groups of at most {@code maxFrames} frames) and log
 *   it at WARN; then close the arena.</li>
 * </ol>
 * Cost when sampling: one {@code Throwable} (tens of microseconds with its stack) per sampled allocation, and a
 * hash probe per free. Owner thread only, like the arena.
 */
public final class TrackingArena implements AutoCloseable
{
    /** Leak detection levels. */
    public enum Level
    {
        DISABLED, SAMPLE, PARANOID
    }

    public static final Level DEFAULT_LEVEL = Level.DISABLED;
    public static final String PROP_LEVEL = "arena.leakDetection.level";
    public static final int DEFAULT_SAMPLE_INTERVAL = 128;
    public static final String PROP_SAMPLE_INTERVAL = "arena.leakDetection.sampleInterval";
    public static final int DEFAULT_MAX_REPORTED = 10;
    public static final int DEFAULT_MAX_FRAMES = 16;
    public static final String LOGGER_NAME = "io.arenaalloc.stats.TrackingArena";

    private static final Logger LOGGER = LoggerFactory.getLogger(LOGGER_NAME);

    private final OffHeapArena arena;
    private final Level level;
    private final int sampleInterval;
    private final int maxReported;
    private final int maxFrames;
    private final Long2ObjectHashMap<Record> records = new Long2ObjectHashMap<>();
    private int untilSample;

    private TrackingArena(final Builder b)
    {
        this.arena = b.arena;
        this.level = b.level;
        this.sampleInterval = b.level == Level.PARANOID ? 1 : b.sampleInterval;
        this.maxReported = b.maxReported;
        this.maxFrames = b.maxFrames;
        this.untilSample = sampleInterval;
    }

    public static Builder builder(final OffHeapArena arena)
    {
        return new Builder(arena);
    }

    /** @return the decorated arena, for every operation this class does not wrap. */
    public OffHeapArena arena()
    {
        return arena;
    }

    public Level level()
    {
        return level;
    }

    public long allocate(final long size)
    {
        return track(arena.allocate(size), size);
    }

    public long allocateZeroed(final long size)
    {
        return track(arena.allocateZeroed(size), size);
    }

    public long allocateAligned(final long size, final long alignment)
    {
        return track(arena.allocateAligned(size, alignment), size);
    }

    public long allocateHandle(final long size)
    {
        return track(arena.allocateHandle(size), size);
    }

    public long allocateHandleZeroed(final long size)
    {
        return track(arena.allocateHandleZeroed(size), size);
    }

    /** Frees a fixed block (address) or movable block (handle), as {@link OffHeapArena#free(long)}. */
    public void free(final long addressOrHandle)
    {
        arena.free(addressOrHandle);
        if (level != Level.DISABLED && !records.isEmpty())
        {
            records.remove(addressOrHandle);
        }
    }

    /** As {@link OffHeapArena#reallocate(long, long)}; the block keeps its record. */
    public long reallocate(final long addressOrHandle, final long newSize)
    {
        final long result = arena.reallocate(addressOrHandle, newSize);
        if (level != Level.DISABLED && result != addressOrHandle)
        {
            final Record r = records.remove(addressOrHandle);
            if (r != null)
            {
                records.put(result, r);
            }
        }
        return result;
    }

    /** As {@link OffHeapArena#reset()}: every block is freed, so every record goes. */
    public void reset()
    {
        arena.reset();
        records.clear();
    }

    /** @return how many live blocks have a recorded trace. */
    public int trackedBlocks()
    {
        return records.size();
    }

    private long track(final long key, final long size)
    {
        if (level != Level.DISABLED && --untilSample == 0)
        {
            untilSample = sampleInterval;
            records.put(key, new Record(size, new Throwable("allocation")));
        }
        return key;
    }

    /**
     * @return the leak report of the arena now: live blocks and bytes, and the sampled traces; "" when no block is
     * live or the arena is closed.
     */
    public String leakReport()
    {
        if (arena.isClosed() || arena.liveBlocks() == 0)
        {
            return "";
        }
        final Map<List<StackTraceElement>, long[]> groups = new HashMap<>();
        records.forEachLong((key, r) ->
        {
            final long[] g = groups.computeIfAbsent(frames(r.trace), k -> new long[2]);
            g[0]++;
            g[1] += r.size;
        });
        final List<Map.Entry<List<StackTraceElement>, long[]>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        final StringBuilder sb = new StringBuilder();
        sb.append("arena ").append(arena.arenaId()).append(" has ").append(StatsFormat.grouped(arena.liveBlocks()))
            .append(" live blocks (").append(StatsFormat.grouped(arena.liveBytes())).append(" bytes)");
        if (level == Level.DISABLED)
        {
            sb.append("; leak detection is disabled, set -D").append(PROP_LEVEL).append("=SAMPLE or PARANOID for traces");
            return sb.toString();
        }
        sb.append("; ").append(StatsFormat.grouped(records.size())).append(" of them sampled at allocation (level ")
            .append(level).append(level == Level.SAMPLE ? ", 1 in " + sampleInterval : "").append("), ")
            .append(groups.size()).append(groups.size() == 1 ? " distinct stack" : " distinct stacks");
        int shown = 0;
        for (final Map.Entry<List<StackTraceElement>, long[]> e : sorted)
        {
            if (shown++ == maxReported)
            {
                sb.append(String.format(Locale.ROOT, "%n  ... %d more stacks", sorted.size() - maxReported));
                break;
            }
            sb.append(String.format(Locale.ROOT, "%n  #%d: %s blocks (%s bytes requested) allocated at:", shown,
                StatsFormat.grouped(e.getValue()[0]), StatsFormat.grouped(e.getValue()[1])));
            for (final StackTraceElement f : e.getKey())
            {
                sb.append(String.format(Locale.ROOT, "%n    at %s", f));
            }
        }
        return sb.toString();
    }

    /** @return the trace's frames after this class's own, at most maxFrames of them. */
    private List<StackTraceElement> frames(final Throwable trace)
    {
        final StackTraceElement[] all = trace.getStackTrace();
        int from = 0;
        while (from < all.length && all[from].getClassName().equals(TrackingArena.class.getName()))
        {
            from++;
        }
        return Arrays.asList(Arrays.copyOfRange(all, from, Math.min(all.length, from + maxFrames)));
    }

    /** Logs the leak report at WARN when blocks are live (and tracking is on), then closes the arena. Idempotent. */
    @Override
    public void close()
    {
        if (!arena.isClosed() && level != Level.DISABLED && arena.liveBlocks() != 0)
        {
            LOGGER.warn(leakReport());
        }
        records.clear();
        arena.close();
    }

    public String toString()
    {
        return "TrackingArena{arena=" + arena + ", level=" + level + ", sampleInterval=" + sampleInterval +
            ", tracked=" + records.size() + '}';
    }

    private static final class Record
    {
        final long size;
        final Throwable trace;

        Record(final long size, final Throwable trace)
        {
            this.size = size;
            this.trace = trace;
        }
    }

    /** Validating builder; options have DEFAULT_* constants and system properties. Not thread safe. */
    public static final class Builder
    {
        private final OffHeapArena arena;
        private Level level = parseLevel(System.getProperty(PROP_LEVEL, DEFAULT_LEVEL.name()));
        private int sampleInterval = SystemProperties.intValue(PROP_SAMPLE_INTERVAL, DEFAULT_SAMPLE_INTERVAL);
        private int maxReported = DEFAULT_MAX_REPORTED;
        private int maxFrames = DEFAULT_MAX_FRAMES;

        private Builder(final OffHeapArena arena)
        {
            if (arena == null)
            {
                throw new IllegalArgumentException("arena=null, expected an OffHeapArena");
            }
            this.arena = arena;
        }

        private static Level parseLevel(final String name)
        {
            try
            {
                return Level.valueOf(name.trim().toUpperCase(Locale.ROOT));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(PROP_LEVEL + "=" + name + ", expected DISABLED, SAMPLE or PARANOID", ex);
            }
        }

        /** Default DISABLED. */
        public Builder level(final Level level)
        {
            if (level == null)
            {
                throw new IllegalArgumentException("level=null, expected DISABLED, SAMPLE or PARANOID");
            }
            this.level = level;
            return this;
        }

        /** For SAMPLE: record one allocation in this many, 1 .. 2^20. Default {@value #DEFAULT_SAMPLE_INTERVAL}. */
        public Builder sampleInterval(final int interval)
        {
            if (interval < 1 || interval > 1 << 20)
            {
                throw new IllegalArgumentException("sampleInterval=" + interval + ", expected 1.." + (1 << 20));
            }
            this.sampleInterval = interval;
            return this;
        }

        /** Distinct stacks printed in a report, 1 .. 1000. Default {@value #DEFAULT_MAX_REPORTED}. */
        public Builder maxReported(final int max)
        {
            if (max < 1 || max > 1000)
            {
                throw new IllegalArgumentException("maxReported=" + max + ", expected 1..1000");
            }
            this.maxReported = max;
            return this;
        }

        /** Frames printed per stack, 1 .. 1024. Default {@value #DEFAULT_MAX_FRAMES}. */
        public Builder maxFrames(final int max)
        {
            if (max < 1 || max > 1024)
            {
                throw new IllegalArgumentException("maxFrames=" + max + ", expected 1..1024");
            }
            this.maxFrames = max;
            return this;
        }

        public TrackingArena build()
        {
            sampleInterval(sampleInterval);
            return new TrackingArena(this);
        }
    }
}

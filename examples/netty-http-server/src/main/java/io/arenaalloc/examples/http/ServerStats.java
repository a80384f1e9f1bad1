package io.arenaalloc.examples.http;

import io.arenaalloc.netty.ArenaByteBufAllocator;
import io.arenaalloc.netty.ArenaByteBufAllocatorMetric;
import io.arenaalloc.netty.LeakCounter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The server's {@code /stats} document: one flat JSON object.
 * <pre>
 *   allocator, leakLevel, leaks            the allocator's name, Netty's detector level, leaks counted so far
 *   usedDirectMemory, usedHeapMemory       the allocator's metric (-1 when it has none)
 *   activeDirectBuffers, liveDirectBytes   arena only (-1 otherwise)
 *   vmRssBytes, vmHwmBytes                 /proc/self/status VmRSS and VmHWM (-1 off Linux)
 *   heapUsedBytes, directPoolBytes         JVM heap in use; the JVM's "direct" buffer pool
 * </pre>
 * With {@code sweep}, the leak count is taken after {@link LeakCounter#sweep} (GCs and a short pause: seconds of
 * blocking, for the end of a run only).
 */
final class ServerStats
{
    private final String name;
    private final ByteBufAllocator allocator;
    private final LeakCounter leaks;

    ServerStats(final String name, final ByteBufAllocator allocator, final LeakCounter leaks)
    {
        this.name = name;
        this.allocator = allocator;
        this.leaks = leaks;
    }

    String json(final boolean sweep)
    {
        final long leakCount = sweep ? leaks.sweep(allocator, 5) : leaks.leaks();
        long usedDirect = -1;
        long usedHeap = -1;
        if (allocator instanceof ByteBufAllocatorMetricProvider)
        {
            final ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider)allocator).metric();
            usedDirect = m.usedDirectMemory();
            usedHeap = m.usedHeapMemory();
        }
        long active = -1;
        long liveBytes = -1;
        if (allocator instanceof ArenaByteBufAllocator)
        {
            final ArenaByteBufAllocatorMetric m = ((ArenaByteBufAllocator)allocator).metric();
            active = m.activeDirectBuffers();
            liveBytes = m.liveDirectBytes();
        }
        long directPool = -1;
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if (pool.getName().equals("direct"))
            {
                directPool = pool.getMemoryUsed();
            }
        }
        final Runtime rt = Runtime.getRuntime();
        return "{\"allocator\":\"" + name + "\",\"leakLevel\":\"" + ResourceLeakDetector.getLevel() + "\",\"leaks\":" +
            leakCount + ",\"usedDirectMemory\":" + usedDirect + ",\"usedHeapMemory\":" + usedHeap +
            ",\"activeDirectBuffers\":" + active + ",\"liveDirectBytes\":" + liveBytes + ",\"vmRssBytes\":" +
            procStatusBytes("VmRSS:") + ",\"vmHwmBytes\":" + procStatusBytes("VmHWM:") + ",\"heapUsedBytes\":" +
            (rt.totalMemory() - rt.freeMemory()) + ",\"directPoolBytes\":" + directPool + "}\n";
    }

    /** A "Name:   1234 kB" line of /proc/self/status, in bytes; -1 when unavailable. */
    static long procStatusBytes(final String key)
    {
        try
        {
            for (final String line : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.US_ASCII))
            {
                if (line.startsWith(key))
                {
                    final String[] parts = line.substring(key.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        return -1;
    }
}

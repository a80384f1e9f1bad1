package io.arenaalloc.bench.subject;

import java.nio.ByteBuffer;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.jemalloc.JEmalloc;

/**
 * {@code jemalloc}: LWJGL's bundled jemalloc ({@code lwjgl-jemalloc} natives from Maven Central),
 * called through {@code nje_malloc/nje_free} (one JNI down-call each, no argument checks).
 *
 * <p>Footprint: jemalloc's own {@code stats.resident} (bytes in physically resident data pages it
 * maps, metadata included) read with {@code je_mallctl} after an {@code epoch} refresh; -1 (so the
 * process's resident set is used instead) when this build has no statistics. Idle: an
 * {@code arena.<all>.decay} call, the purge of dirty pages past their decay time that a jemalloc
 * background thread would do.
 */
final class JemallocSubject extends AddressSlots
{
    JemallocSubject(final int slots)
    {
        super(Subjects.JEMALLOC, slots);
    }

    @Override
    protected long malloc(final long size)
    {
        return JEmalloc.nje_malloc(size);
    }

    @Override
    protected void release(final long address)
    {
        JEmalloc.nje_free(address);
    }

    @Override
    public long footprintBytes()
    {
        return resident();
    }

    @Override
    public String footprintSource()
    {
        return resident() >= 0 ? "je_mallctl stats.resident" : "VmRSS delta (jemalloc has no stats.resident here)";
    }

    @Override
    public void idle(final long budgetNanos)
    {
        JEmalloc.je_mallctl("arena." + JEmalloc.MALLCTL_ARENAS_ALL + ".decay", null, null, null);
    }

    /** @return jemalloc's {@code stats.resident} after an {@code epoch} refresh, or -1 when unavailable. */
    static long resident()
    {
        try (MemoryStack stack = MemoryStack.stackPush())
        {
            final ByteBuffer epoch = stack.malloc(8);
            MemoryUtil.memPutLong(MemoryUtil.memAddress(epoch), 1);
            if (JEmalloc.je_mallctl("epoch", null, null, epoch) != 0)
            {
                return -1;
            }
            final ByteBuffer value = stack.calloc(8);
            final PointerBuffer length = stack.pointers(8);
            if (JEmalloc.je_mallctl("stats.resident", value, length, null) != 0 || length.get(0) != 8)
            {
                return -1;
            }
            final long resident = MemoryUtil.memGetLong(MemoryUtil.memAddress(value));
            return resident > 0 ? resident : -1;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return -1;
        }
    }
}

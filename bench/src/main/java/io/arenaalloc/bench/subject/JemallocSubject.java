package io.arenaalloc.bench.subject;

import org.lwjgl.system.jemalloc.JEmalloc;

/**
 * {@code jemalloc}: LWJGL's bundled jemalloc ({@code lwjgl-jemalloc} natives from Maven Central),
 * called through {@code nje_malloc/nje_free} (one JNI down-call each, no argument checks).
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
}

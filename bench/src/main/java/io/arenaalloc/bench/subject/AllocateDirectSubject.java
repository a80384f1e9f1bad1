package io.arenaalloc.bench.subject;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;

/**
 * {@code allocate-direct}: {@link ByteBuffer#allocateDirect(int)} (which zeroes the block and reserves
 * against {@code MaxDirectMemorySize}) freed eagerly with Agrona's {@link BufferUtil#free(ByteBuffer)}
 * (runs the buffer's cleaner). The {@code DirectByteBuffer} and cleaner objects it creates per block
 * are this allocator's own garbage and show up in the {@code alloc} metric.
 */
final class AllocateDirectSubject implements Subject
{
    private final ByteBuffer[] buffers;
    private boolean closed;

    AllocateDirectSubject(final int slots)
    {
        buffers = new ByteBuffer[slots];
    }

    @Override
    public String name()
    {
        return Subjects.ALLOCATE_DIRECT;
    }

    @Override
    public int slots()
    {
        return buffers.length;
    }

    @Override
    public long allocate(final int slot, final int size)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        buffers[slot] = buffer;
        return BufferUtil.address(buffer);
    }

    @Override
    public void free(final int slot)
    {
        final ByteBuffer buffer = buffers[slot];
        buffers[slot] = null;
        BufferUtil.free(buffer);
    }

    @Override
    public boolean isLive(final int slot)
    {
        return buffers[slot] != null;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < buffers.length; i++)
        {
            if (buffers[i] != null)
            {
                free(i);
            }
        }
    }
}

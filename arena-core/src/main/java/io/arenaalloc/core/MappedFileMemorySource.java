package io.arenaalloc.core;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.collections.Long2ObjectHashMap;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Chunks mapped from a file, one mapping per chunk at increasing file offsets. Point it at a file on
 * hugetlbfs (e.g. {@code /dev/hugepages/arena}) to back an arena with huge pages; on tmpfs or a disk
 * file it works the same way. Released chunks are unmapped; their file range is not reused, so the
 * file length is the high-water mark of reserved bytes (the file is deleted on {@link #close()} when
 * {@code deleteOnClose}). Thread safe (synchronized; slow path only).
 */
public final class MappedFileMemorySource implements MemorySource, AutoCloseable
{
    private final Path path;
    private final boolean deleteOnClose;
    private final RandomAccessFile file;
    private final FileChannel channel;
    private final Long2ObjectHashMap<MappedByteBuffer> mappings = new Long2ObjectHashMap<>();
    private long nextOffset;
    private long reservedBytes;

    public MappedFileMemorySource(final Path path, final boolean deleteOnClose)
    {
        this.path = path;
        this.deleteOnClose = deleteOnClose;
        try
        {
            file = new RandomAccessFile(path.toFile(), "rw");
            channel = file.getChannel();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open path=" + path + " for mapping", ex);
        }
    }

    public synchronized long reserve(final long bytes)
    {
        if (bytes <= 0 || (bytes & (ALIGNMENT - 1)) != 0 || bytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("bytes=" + bytes + ", expected a positive multiple of " + ALIGNMENT +
                " up to 2 GiB (one mapping's limit)");
        }
        try
        {
            file.setLength(nextOffset + bytes);
            final MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, nextOffset, bytes);
            nextOffset += bytes;
            final long base = BufferUtil.address(buffer);
            mappings.put(base, buffer);
            reservedBytes += bytes;
            return base;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map bytes=" + bytes + " of path=" + path, ex);
        }
    }

    public synchronized void release(final long address, final long bytes)
    {
        final MappedByteBuffer buffer = mappings.remove(address);
        if (buffer == null)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " was not reserved by " + this);
        }
        IoUtil.unmap(buffer);
        reservedBytes -= bytes;
    }

    public synchronized long reservedBytes()
    {
        return reservedBytes;
    }

    public String name()
    {
        return "mapped:" + path;
    }

    public synchronized void close()
    {
        for (final MappedByteBuffer buffer : mappings.values())
        {
            IoUtil.unmap(buffer);
        }
        mappings.clear();
        reservedBytes = 0;
        try
        {
            channel.close();
            file.close();
            if (deleteOnClose)
            {
                java.nio.file.Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot close path=" + path, ex);
        }
    }

    public String toString()
    {
        return "MappedFileMemorySource{path=" + path + ", reservedBytes=" + reservedBytes() + '}';
    }
}

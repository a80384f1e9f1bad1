/**
 * Netty integration: {@link io.arenaalloc.netty.ArenaByteBufAllocator}, a {@code ByteBufAllocator} whose direct
 * buffers are fixed blocks of an {@code io.arenaalloc.threads.ArenaAllocator}, released from any thread through
 * the remote-free inboxes; {@link io.arenaalloc.netty.LeakCounter} to assert "no leak" at Netty's paranoid
 * level.
 */
package io.arenaalloc.netty;

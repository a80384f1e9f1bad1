package io.arenaalloc.threads; final class Placeholder { }

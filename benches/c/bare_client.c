/* The floor for one keep-alive connection: a blocking HTTP/1.1 client with nothing in it.
 * One socket, one pre-formatted GET, write() then read() until Content-Length bytes of body
 * have arrived, again. No parsing beyond the length, no TLS, no allocation, no timers, no
 * threads. Whatever CPU and latency this costs per request is what the kernel and the server
 * charge any client on this machine; BENCHMARKS.md compares the library against it.
 *
 *   cc -O2 -o bare_client benches/c/bare_client.c
 *   ./bare_client 127.0.0.1 PORT /data-jobs/.../secrets SECONDS ROUNDS
 *
 * Prints the medians over rounds as the other benchmark programs do:
 *   RESULT rps=.. us=.. cpu=..   (reads/s, µs per read, CPU µs per read: getrusage user + system)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One request and its whole answer; returns 0 on success. */
static int exchange(int fd, const char *request, size_t request_len) {
    static char buffer[65536];
    if (write(fd, request, request_len) != (ssize_t)request_len) return -1;
    size_t have = 0;
    long body = -1;
    size_t head_end = 0;
    for (;;) {
        ssize_t n = read(fd, buffer + have, sizeof buffer - have);
        if (n <= 0) return -1;
        have += (size_t)n;
        if (body < 0) {
            char *end = memmem(buffer, have, "\r\n\r\n", 4);
            if (!end) continue;
            head_end = (size_t)(end - buffer) + 4;
            char *length = strcasestr(buffer, "\r\ncontent-length:");
            if (!length || length > end) return -1;
            body = strtol(length + 17, NULL, 10);
        }
        if (have >= head_end + (size_t)body) return have == head_end + (size_t)body ? 0 : -1;
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH SECONDS ROUNDS\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[4]);
    int rounds = atoi(argv[5]);
    if (seconds <= 0 || rounds < 1 || rounds > 99) return 2;
    char request[1024];
    int request_len = snprintf(request, sizeof request,
                               "GET %s HTTP/1.1\r\nhost: %s:%s\r\naccept: application/json\r\n\r\n", argv[3],
                               argv[1], argv[2]);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &address.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect");
        return 1;
    }
    for (int i = 0; i < 200; i++)
        if (exchange(fd, request, (size_t)request_len) != 0) return 1;
    double per_call[99], cpu_per_call[99];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us(), c0 = cpu_us(), end = t0 + seconds * 1e6;
        long calls = 0;
        do {
            if (exchange(fd, request, (size_t)request_len) != 0) {
                fprintf(stderr, "request failed\n");
                return 1;
            }
            calls++;
        } while (now_us() < end);
        per_call[r] = (now_us() - t0) / calls;
        cpu_per_call[r] = (cpu_us() - c0) / calls;
    }
    qsort(per_call, (size_t)rounds, sizeof *per_call, compare);
    qsort(cpu_per_call, (size_t)rounds, sizeof *cpu_per_call, compare);
    printf("RESULT rps=%.0f us=%.2f cpu=%.2f\n", 1e6 / per_call[rounds / 2], per_call[rounds / 2],
           cpu_per_call[rounds / 2]);
    close(fd);
    return 0;
}

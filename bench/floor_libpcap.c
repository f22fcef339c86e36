/*
 * The floor ../shared/bench/README.md measures Suricata against: a minimal
 * libpcap read loop (pcap_open_offline + pcap_next_ex), nothing else.
 * bench/run.sh builds it in the same run (gcc, Debian libpcap-dev) and times
 * it beside reefwatch's own floor (crates/capture/examples/floor.rs, which
 * reads with the sensor's reader and is faster than libpcap).
 *
 *   floor_libpcap FILE...   prints, per file, packets, bytes and seconds
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv) {
    int status = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: floor_libpcap FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pcap_t *p = pcap_open_offline(argv[i], err);
        if (!p) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            status = 1;
            continue;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        unsigned long long packets = 0, bytes = 0;
        int r;
        while ((r = pcap_next_ex(p, &h, &d)) == 1) {
            packets++;
            bytes += h->caplen;
        }
        if (r == PCAP_ERROR) {
            fprintf(stderr, "%s: %s\n", argv[i], pcap_geterr(p));
            status = 1;
        }
        pcap_close(p);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%s: %llu packets, %llu bytes in %.3f s\n", argv[i], packets, bytes, s);
    }
    return status;
}

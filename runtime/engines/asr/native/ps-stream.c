/*
 * goassist-ps-stream: one warm PocketSphinx decoder that recognises utterances as their audio
 * arrives and reports partial hypotheses while it does. The runtime keeps a pool of these
 * processes (runtime/engines/asr/pocketsphinx-worker.ts).
 *
 * Arguments: decoder flags as for pocketsphinx_continuous (-hmm, -lm, -dict, -samprate, ...).
 *
 * stdin, binary frames: op (1 byte) | utterance id (uint32 LE) | payload length (uint32 LE) | payload
 *   'S' start an utterance (no payload)
 *   'A' audio of the current utterance: PCM16 mono little-endian at -samprate
 *   'E' end of the current utterance
 * One utterance at a time: 'S' of the next only after 'E' of the one before.
 *
 * stdout, one line each:
 *   READY                  the model is loaded
 *   P <id> <text>          partial hypothesis (only when it changed), at most every -partial_ms
 *   F <id> <text>          final hypothesis, once per utterance, after its 'E'
 *   ERR <message>          protocol violation; the process then exits with status 4
 * End of stdin ends the process (status 0).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#define MAX_PAYLOAD (1u << 20)

static unsigned char payload[MAX_PAYLOAD];

static int read_full(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = fread((unsigned char *)buf + got, 1, n - got, stdin);
    if (r == 0) return got == 0 ? 0 : -1;
    got += r;
  }
  return 1;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int protocol_error(const char *what, uint32_t id) {
  printf("ERR %s (utterance %u)\n", what, id);
  fflush(stdout);
  return 4;
}

static void say(char kind, uint32_t id, const char *hyp) {
  printf("%c %u %s\n", kind, id, hyp ? hyp : "");
  fflush(stdout);
}

int main(int argc, char **argv) {
  /* Our own flag, taken out before the decoder parses the rest. */
  long partial_ms = 200;
  int kept = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-partial_ms") == 0 && i + 1 < argc) {
      partial_ms = strtol(argv[++i], NULL, 10);
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;

  cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
  if (config == NULL) {
    fprintf(stderr, "ERROR: invalid decoder arguments\n");
    return 2;
  }
  ps_decoder_t *ps = ps_init(config);
  if (ps == NULL) {
    fprintf(stderr, "ERROR: the decoder failed to load its model\n");
    return 3;
  }
  /* From here on the decoder's per-utterance INFO log is noise on a hot path. */
  err_set_logfp(NULL);
  long samprate = (long)cmd_ln_float32_r(config, "-samprate");
  long partial_every = partial_ms > 0 ? samprate * partial_ms / 1000 : 0;

  printf("READY\n");
  fflush(stdout);

  uint32_t current = 0;
  int active = 0;
  long since_partial = 0;
  char *last_partial = NULL;
  unsigned char header[9];
  for (;;) {
    int r = read_full(header, sizeof header);
    if (r == 0) break;
    if (r < 0) return protocol_error("truncated frame header", current);
    uint32_t id = le32(header + 1);
    uint32_t len = le32(header + 5);
    if (len > MAX_PAYLOAD || (len & 1u)) return protocol_error("bad payload length", id);
    if (len > 0 && read_full(payload, len) != 1) return protocol_error("truncated payload", id);
    switch (header[0]) {
      case 'S':
        if (active) return protocol_error("start while an utterance is open", id);
        if (ps_start_utt(ps) < 0) return protocol_error("decoder refused to start", id);
        active = 1;
        current = id;
        since_partial = 0;
        free(last_partial);
        last_partial = NULL;
        break;
      case 'A':
        if (!active || id != current) return protocol_error("audio for an utterance that is not open", id);
        if (len == 0) break;
        if (ps_process_raw(ps, (const int16 *)payload, len / 2, FALSE, FALSE) < 0)
          return protocol_error("decoder failed on audio", id);
        since_partial += len / 2;
        if (partial_every > 0 && since_partial >= partial_every) {
          since_partial = 0;
          const char *hyp = ps_get_hyp(ps, NULL);
          if (hyp != NULL && hyp[0] != '\0' && (last_partial == NULL || strcmp(hyp, last_partial) != 0)) {
            free(last_partial);
            last_partial = strdup(hyp);
            say('P', id, hyp);
          }
        }
        break;
      case 'E': {
        if (!active || id != current) return protocol_error("end of an utterance that is not open", id);
        ps_end_utt(ps);
        active = 0;
        say('F', id, ps_get_hyp(ps, NULL));
        break;
      }
      default:
        return protocol_error("unknown operation", id);
    }
  }
  free(last_partial);
  ps_free(ps);
  cmd_ln_free_r(config);
  return 0;
}

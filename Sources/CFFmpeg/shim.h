#ifndef CUSTODY_CFFMPEG_SHIM_H
#define CUSTODY_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/dict.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

/* Macros Swift cannot import. */
static inline int custody_averror(int e) { return AVERROR(e); }
static inline int custody_averror_eof(void) { return AVERROR_EOF; }
static inline int custody_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t custody_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational custody_av_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline void custody_av_strerror(int e, char *buf, size_t size) { av_strerror(e, buf, size); }
/* av_log is variadic: only its level can be set from Swift. */
static inline void custody_av_log_quiet(void) { av_log_set_level(AV_LOG_QUIET); }
/* AVFrame.data and linesize are fixed-size arrays, which Swift sees as tuples. */
static inline uint8_t *custody_frame_plane(const AVFrame *f, int i) { return f->extended_data[i]; }
static inline int custody_frame_linesize(const AVFrame *f, int i) { return f->linesize[i]; }
static inline void **custody_frame_planes(AVFrame *f) { return (void **)f->extended_data; }
#endif

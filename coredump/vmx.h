/*
 * vmx.h - VMware .vmx configuration text (KEY = "VALUE" lines): read from a
 * checkpoint's embedded copy (Snapshot/cfgFile) and from a bundle's .vmx files.
 */
#ifndef COREKIT_VMX_H
#define COREKIT_VMX_H

/* The value of KEY = "VALUE" in .vmx text (key case-insensitive, |XX decoded), or NULL (malloc'd). */
char *vmx_value(const char *vmx, const char *key);

#endif
